"""Generate README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines lack).

Runs the notebook, converts it to Markdown with nbconvert, and points image links at nbs/.
`python .ci/make_readme.py --check` exits 1 if README.md is out of date."""
import os, re, sys
from pathlib import Path
import nbformat
from nbconvert import MarkdownExporter
from nbconvert.preprocessors import ExecutePreprocessor

root = Path(__file__).resolve().parent.parent

def render() -> str:
    nb = nbformat.read(root / "nbs" / "index.ipynb", as_version=4)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    ExecutePreprocessor(timeout=300).preprocess(nb, {"metadata": {"path": str(root / "nbs")}})
    for cell in nb.cells:  # TensorFlow's start-up messages on stderr are noise, not results
        if cell.cell_type == "code": cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
    body, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    body = re.sub(r"\]\((?!https?:)(images/[^)]+)\)", r"](nbs/\1)", body)  # nbs/images/... from the notebook's folder
    body = body.replace("](../", "](")  # ../docs/... from nbs/ is docs/... from the top
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return "<!-- generated from nbs/index.ipynb by .ci/make_readme.py: edit the notebook, not this file -->\n\n" + body

if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        same = (root / "README.md").read_text() == text
        print("README.md is up to date" if same else "README.md is out of date: run python .ci/make_readme.py")
        sys.exit(0 if same else 1)
    (root / "README.md").write_text(text)
    print("wrote README.md")
