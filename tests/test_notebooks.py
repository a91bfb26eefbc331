"""Every notebook runs top to bottom (nbdev_test, `slow` cells skipped), and the package is what the notebooks export."""
import filecmp, json, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import scaled

ROOT = Path(__file__).resolve().parent.parent
# The English walkthrough runs in tests/test_walkthrough.py, which also compares it with its stored outputs. The Chinese
# one is the same program (test_walkthrough checks its code equals the English code but for the text of what it prints
# and draws, which cannot fail), so running it too would train every model of the walkthrough twice (2.5 minutes).
WALKTHROUGHS = ("10_walkthrough.ipynb", "10_walkthrough_zh.ipynb")
NOTEBOOKS = sorted(p.name for p in (ROOT / "nbs").glob("*.ipynb") if p.name not in WALKTHROUGHS)

def test_every_module_has_a_notebook():
    modules = {p.stem for p in (ROOT / "deepseek_nb").glob("*.py") if not p.stem.startswith("_")}
    exported = set()
    for nb in (ROOT / "nbs").glob("*.ipynb"):
        for cell in json.loads(nb.read_text())["cells"]:
            exported |= {line.split()[-1] for line in "".join(cell["source"]).splitlines() if line.startswith("#| default_exp")}
    assert modules <= exported, modules - exported

@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs(notebook):
    nbdev_test = shutil.which("nbdev_test") or str(Path(sys.executable).with_name("nbdev_test"))
    result = subprocess.run([nbdev_test, "--path", f"nbs/{notebook}", "--do_print"], cwd=ROOT,
                            capture_output=True, text=True, timeout=scaled(900))
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]

def test_package_matches_notebooks(tmp_path):
    "nbdev_export on a copy of the sources gives exactly the committed package."
    for name in ("nbs", "settings.ini", "setup.py"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    exe = shutil.which("nbdev_export") or str(Path(sys.executable).with_name("nbdev_export"))
    subprocess.run([exe], cwd=tmp_path, check=True, capture_output=True, timeout=scaled(120))
    cmp = filecmp.dircmp(ROOT / "deepseek_nb", tmp_path / "deepseek_nb", ignore=["__pycache__"])
    assert not (cmp.diff_files or cmp.left_only or cmp.right_only), \
        f"deepseek_nb/ differs from nbdev_export: changed {cmp.diff_files}, only in repo {cmp.left_only}, only in export {cmp.right_only}"

def test_readme_is_generated_from_index():
    result = subprocess.run([sys.executable, ".ci/make_readme.py", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=scaled(300))
    assert result.returncode == 0, result.stdout + result.stderr
