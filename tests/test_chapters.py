"""Every module notebook closes like a chapter (issue 17): a "## Summary" of what it taught, then
"## Exercises" with at least two numbered exercises, and no other section after them."""
import json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
# the walkthroughs teach end to end and the home page is the README: neither is a chapter of one module
MODULE_NOTEBOOKS = sorted(
    p.name for p in (ROOT / "nbs").glob("*.ipynb") if p.stem != "index" and "walkthrough" not in p.stem
)


def _markdown(cells) -> str:
    return "\n".join(
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells
        if c["cell_type"] == "markdown"
    )


def chapter_problems(cells) -> list[str]:
    "What is missing from the end of a notebook with these `cells`; empty when it closes like a chapter."
    text = _markdown(cells)
    headings = [(m.start(), m.group(1).strip()) for m in re.finditer(r"^## (.+)$", text, re.M)]
    names = [name for _, name in headings]
    if "Summary" not in names:
        return ['no "## Summary" heading']
    if "Exercises" not in names:
        return ['no "## Exercises" heading']
    problems = []
    if names[-2:] != ["Summary", "Exercises"]:
        problems.append(f'the last sections are {names[-2:]}, not ["Summary", "Exercises"]')
    summary_at = dict((name, at) for at, name in headings)["Summary"]
    exercises_at = dict((name, at) for at, name in headings)["Exercises"]
    summary = text[summary_at:exercises_at]
    exercises = text[exercises_at:]
    bullets = re.findall(r"^- \S", summary, re.M)
    if len(bullets) < 2:
        problems.append(f"the summary has {len(bullets)} bullet point(s); give at least 2")
    if not re.search(r"`[^`]+`", summary):
        problems.append("the summary names none of the chapter's functions or classes in `backticks`")
    numbered = re.findall(r"^\d+\. \S", exercises, re.M)
    if len(numbered) < 2:
        problems.append(f"the exercises have {len(numbered)} numbered item(s); give at least 2")
    return problems


def _md(text: str) -> dict:
    return dict(cell_type="markdown", source=text)


def test_the_check_can_fail():
    closing = "## Summary\n\n- `one`\n- two\n\n## Exercises\n\n1. do\n2. try"
    good = [_md("# T"), _md("## A\ntext"), _md(closing)]
    assert chapter_problems(good) == []
    assert chapter_problems(good[:2]) == ['no "## Summary" heading']
    assert chapter_problems([_md("## Summary\n- a\n- b")]) == ['no "## Exercises" heading']
    nameless = [_md("## Summary\n- a\n- b\n## Exercises\n1. do\n2. try")]
    assert chapter_problems(nameless) == [
        "the summary names none of the chapter's functions or classes in `backticks`"
    ]
    one_exercise = [_md("## Summary\n- `a`\n- b\n## Exercises\n1. only one")]
    assert chapter_problems(one_exercise) == ["the exercises have 1 numbered item(s); give at least 2"]
    late = good + [_md("## Afterword")]
    assert chapter_problems(late) == [
        "the last sections are ['Exercises', 'Afterword'], not [\"Summary\", \"Exercises\"]"
    ]


def test_module_notebooks_are_found():
    assert "01_architecture.ipynb" in MODULE_NOTEBOOKS and "index.ipynb" not in MODULE_NOTEBOOKS
    assert not any("walkthrough" in name for name in MODULE_NOTEBOOKS)


@pytest.mark.parametrize("notebook", MODULE_NOTEBOOKS)
def test_notebook_ends_with_summary_and_exercises(notebook):
    cells = json.loads((ROOT / "nbs" / notebook).read_text())["cells"]
    assert chapter_problems(cells) == [], notebook
