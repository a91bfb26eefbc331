import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

@pytest.fixture
def root() -> Path: return ROOT

def scaled(seconds: float) -> float:
    "A test's time limit (seconds; milliseconds for Playwright), times DEEPSEEK_NB_TEST_TIMEOUT_FACTOR (default 1) for slow or busy machines."
    factor = os.environ.get("DEEPSEEK_NB_TEST_TIMEOUT_FACTOR", "1")
    try: value = float(factor)
    except ValueError: value = 0.0
    if not value > 0:
        raise pytest.UsageError(f"DEEPSEEK_NB_TEST_TIMEOUT_FACTOR must be a positive number, e.g. 3. Received: {factor!r}")
    return seconds * value

def cli(*args, cwd=None, timeout=300, env=None):
    "Run the installed `deepseek-nb` console script; returns the CompletedProcess. `timeout` is `scaled`."
    import shutil, subprocess
    exe = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
    return subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=scaled(timeout),
                          env={**os.environ, **(env or {})})

def assert_usage_error(result, words: str):
    "The CLI ended with status 2 and exactly one `deepseek-nb: error:` line containing `words`, no traceback."
    assert result.returncode == 2, result.stderr
    errors = [l for l in result.stderr.splitlines() if l.startswith("deepseek-nb: error:")]
    assert len(errors) == 1 and words in errors[0], result.stderr
    assert "Traceback" not in result.stderr

RECIPES = {  # name: how the shared run is trained (seeded; tests that need another configuration train their own)
    "digits": lambda: ("digits", {}, dict(epochs=3, seed=0)),  # the digits preset, 3 epochs (at width 16 Grad-CAM no longer
    # favours the ink: test_inside)
    "text": lambda: ("sentence_polarity", dict(width=8, embed_dim=8, vocab_size=500, sequence_length=20),
                     dict(epochs=1, min_epochs=0, seed=0)),  # a small sentence_polarity model, 1 epoch
}

def _train_shared(name: str, folder: Path):
    from deepseek_nb.config import preset
    from deepseek_nb.data import load_dataset
    from deepseek_nb.training import train
    dataset, model_changes, train_changes = RECIPES[name]()
    model_cfg, train_cfg = preset(dataset)
    train(model_cfg.replace(**model_changes), load_dataset(dataset), train_cfg.replace(**train_changes), out=folder, overwrite=True)

@pytest.fixture(scope="session")
def trained(tmp_path_factory, worker_id):
    """`trained(name, dest)`: a copy at `dest` of a run folder (a name of RECIPES) that the whole test run trains once.
    The original sits in a folder every pytest-xdist worker of this run sees, made by the first worker to ask under a
    file lock; tests get copies, so one that writes into its run (compress's default output) changes no other's."""
    import fcntl, shutil
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker_id != "master" else base) / "trained-runs"
    shared.mkdir(exist_ok=True)
    def copy(name: str, dest: Path) -> Path:
        original = shared / name
        with open(shared / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this worker dies
            if not (original / "model.keras").is_file(): _train_shared(name, original)
        shutil.copytree(original, dest)
        return dest
    return copy

def pytest_configure(config): scaled(1)  # a bad DEEPSEEK_NB_TEST_TIMEOUT_FACTOR stops the run before any test

UNGROUPED = {"test_notebooks.py"}  # no fixture to share: its notebooks (a third of the run) spread over the workers

@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`-n auto`, set in pyproject.toml) tests go to the workers by group: the tests that start
    processes of their own (TensorFlow workers, JupyterLab and Chromium) form one group, run one after another (two
    side by side would each get half a core); every other test goes with its file, so a file's module-scoped
    fixture (a venv, a trained run) is made once; test_notebooks' notebooks, which share nothing, go one by one."""
    for item in items:
        own = item.get_closest_marker("multiprocess") or item.get_closest_marker("browser")
        if own or item.path.name not in UNGROUPED:
            item.add_marker(pytest.mark.xdist_group("own_processes" if own else item.path.name))
