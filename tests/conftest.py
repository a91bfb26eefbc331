import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

@pytest.fixture
def root() -> Path: return ROOT

def cli(*args, cwd=None, timeout=300, env=None):
    "Run the installed `deepseek-nb` console script; returns the CompletedProcess."
    import shutil, subprocess
    exe = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
    return subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
