"""A plain install works: the repository's files (those git does not ignore), installed without the dev extras into a fresh venv (no system
site-packages, so nothing the tests' own environment holds can hide a missing requirement), import, train and find their
bundled data from another folder. A plain `pip install -e .` once failed on `import fastcore` although every test passed.
One venv for the whole module: `pip install .` first, `pip install -e .` over it last (minutes: it downloads TensorFlow)."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, scaled
from test_readme import readme_python

pytestmark = pytest.mark.slow

def tracked_copy(dest: Path) -> Path:
    "The working tree without what git ignores (a clone, plus the edits and new files not committed yet), copied to `dest`."
    git = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    names = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, names.split("\0")):
        if not (ROOT / name).is_file(): continue  # deleted in the working tree, or a submodule
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    return dest

class Venv:
    "A fresh venv and the commands that run in it, with an environment that points nowhere else."
    def __init__(self, path: Path):
        self.path, self.bin = path, path / "bin"
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=scaled(600))
        drop = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}", VIRTUAL_ENV=str(path),
                        PYTHONNOUSERSITE="1", TF_CPP_MIN_LOG_LEVEL="2")

    def run(self, *args, cwd, timeout=900):
        "Run `args` (the first a program of the venv's bin/) in `cwd` within `scaled(timeout)` seconds; the CompletedProcess."
        return subprocess.run([str(self.bin / args[0]), *map(str, args[1:])], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=scaled(timeout))

    def pip_install(self, *args, cwd):
        result = self.run("python", "-m", "pip", "install", "-q", *args, cwd=cwd, timeout=3600)
        assert result.returncode == 0, (args, result.stderr[-3000:])

@pytest.fixture(scope="session")  # not "module": a worker of pytest-xdist may interleave another file's tests, and
def venv(tmp_path_factory):  # a module fixture is then made again (a second install of TensorFlow)
    "A fresh venv with a non-editable `pip install` of a copy of the repository (its runtime requirements only)."
    tmp = tmp_path_factory.mktemp("plain_install")
    env = Venv(tmp / "venv")
    env.source = tracked_copy(tmp / "deepseek-nb")
    env.elsewhere = tmp / "elsewhere"  # neither the repository nor its copy: what a user's working folder is
    env.elsewhere.mkdir()
    env.pip_install(env.source, cwd=tmp)
    return env

def test_every_module_imports(venv):
    """Every module of the package, in one process (a missing requirement fails its importer, whatever was
    imported before; one process pays TensorFlow's start-up once), each failure named with its last line."""
    names = sorted(p.stem for p in (venv.source / "deepseek_nb").glob("*.py"))
    modules = ["deepseek_nb" if n == "__init__" else f"deepseek_nb.{n}" for n in names]
    assert "deepseek_nb.evaluation" in modules, modules
    probe = ("import importlib, sys, traceback\n"
             "for m in sys.argv[1:]:\n"
             "    try: importlib.import_module(m)\n"
             "    except Exception as e: print(f'{m}: {type(e).__name__}: {e}')\n")
    result = venv.run("python", "-c", probe, *modules, cwd=venv.elsewhere)
    assert result.returncode == 0 and result.stdout.strip() == "", (result.stdout, result.stderr[-3000:])


def test_the_bundled_data_are_found_from_another_folder(venv):
    "The package and its data sets come from the venv (the data travel as data files), not from the repository."
    code = "import deepseek_nb.data as d; print(d.__file__); print(d.data_dir()); print(len(d.load_dataset('digits')))"
    result = venv.run("python", "-c", code, cwd=venv.elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    module, data, samples = result.stdout.split()
    assert module.startswith(str(venv.path)) and data.startswith(str(venv.path)) and samples == "1797", result.stdout

def test_the_readme_quick_start_trains(venv):
    result = venv.run("deepseek-nb", "train", "--epochs", "1", cwd=venv.elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run folder: runs/digits" in result.stdout + result.stderr, result.stdout[-2000:]
    assert {"config.json", "metrics.json", "model.keras"} <= {p.name for p in (venv.elsewhere / "runs" / "digits").iterdir()}

def test_the_readme_python_snippet_runs(venv):
    script = readme_python().replace('train_cfg, out=', 'train_cfg.replace(epochs=1, min_epochs=0), out=')
    assert script != readme_python()  # the README's call is still the one this shortens
    result = venv.run("python", "-c", script, cwd=venv.elsewhere)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 0 < float(result.stdout.strip().splitlines()[-1]) <= 1
    assert (venv.elsewhere / "runs" / "heads8" / "model.keras").exists()

def test_an_editable_install_trains(venv):
    "Last (it replaces the non-editable install): the README's first line, `pip install -e . && deepseek-nb train`, in the copy."
    venv.pip_install("-e", venv.source, cwd=venv.source)
    where = venv.run("python", "-c", "import deepseek_nb; print(deepseek_nb.__file__)", cwd=venv.elsewhere)
    assert where.returncode == 0 and where.stdout.strip().startswith(str(venv.source)), (where.stdout, where.stderr[-3000:])
    result = venv.run("deepseek-nb", "train", "--epochs", "1", cwd=venv.source)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (venv.source / "runs" / "digits" / "model.keras").exists()
