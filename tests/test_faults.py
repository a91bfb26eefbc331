"""Nothing lost: the user's folders and runs survive --force, Ctrl-C, kills, a second copy, a damaged backup and a full disk.

Each test reproduces one way work was lost before (issue 13) and checks it no longer is: the user's folder untouched, the
finished run intact, the second writer refused, the damaged backup set aside, the full disk reported in one line."""
import json, os, random, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import cli, assert_usage_error, scaled

EXE = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
SMALL = ["--width", "8", "--quiet"]

def start(*args, cwd=None) -> subprocess.Popen:
    "`deepseek-nb` in the background, its output line-buffered so a test can wait for a line."
    return subprocess.Popen([EXE, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})

def wait_for(proc: subprocess.Popen, prefix: str, timeout: float = 240) -> str:
    "Read `proc`'s stdout until a line starts with `prefix` (within `scaled(timeout)` seconds); that line."
    deadline = time.monotonic() + scaled(timeout)
    for line in proc.stdout:
        if line.startswith(prefix): return line
        assert time.monotonic() < deadline, f"no line starting with {prefix!r} in time"
    raise AssertionError(f"{proc.args} ended (status {proc.wait()}) before printing {prefix!r}: {proc.stderr.read()[-2000:]}")

def tree(folder: Path) -> dict:
    "Every file under `folder` with its bytes: to compare before and after."
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

# 1. --force only replaces what the toolkit made
@pytest.mark.parametrize("out", [".", "..", "/", "~", "file.txt"])
def test_out_that_cannot_be_a_run_folder_is_refused(tmp_path, out):
    (tmp_path / "file.txt").write_text("mine")
    before = tree(tmp_path)
    result = cli("train", "--out", out, "--force", *SMALL, cwd=tmp_path, timeout=60)
    assert_usage_error(result, "is a file" if out == "file.txt" else "cannot be a run folder")
    assert tree(tmp_path) == before

def test_force_never_deletes_a_folder_the_toolkit_did_not_make(tmp_path):
    mine = tmp_path / "thesis"; (mine / "chapters").mkdir(parents=True)
    (mine / "chapters" / "one.tex").write_text("years of work"); (mine / "config.json").write_text('{"theme": "dark"}')
    before = tree(mine)
    assert_usage_error(cli("train", "--out", mine, "--force", *SMALL, cwd=tmp_path, timeout=60), "did not make")
    assert tree(mine) == before

# 2. Ctrl-C: exit 130, says where the state is, never replaces a finished run; the same command resumes
@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_run_and_the_same_command_resumes(tmp_path):
    out = tmp_path / "run"
    assert cli("train", "--epochs", "1", "--out", out, *SMALL, cwd=tmp_path).returncode == 0
    finished = tree(out)
    command = ["train", "--epochs", "6", "--out", out, "--width", "8", "--force"]
    run = start(*command, cwd=tmp_path)
    wait_for(run, "Epoch 3/6")          # two epochs done
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=scaled(120))
    assert run.returncode == 130, err[-2000:]
    assert "interrupted after" in err and str(tmp_path / ".run.partial") in err and "run the same command again" in err, err[-2000:]
    assert "Traceback" not in err
    assert tree(out) == finished        # the good run is intact
    again = cli(*command, "--quiet", cwd=tmp_path)  # the identical command resumes
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Resuming the interrupted run" in again.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= 2 and metrics["epochs_run"] == 6, metrics
    assert not list(tmp_path.glob(".run.partial*"))  # nothing set aside: it was resumed, not replaced

# 3. one writer per folder
@pytest.mark.slow
@pytest.mark.multiprocess
def test_a_second_copy_on_the_same_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "run"
    first = start("train", "--epochs", "3", "--out", out, *SMALL, cwd=tmp_path)
    wait_for(first, "Run folder:")
    started = time.monotonic()
    second = cli("train", "--epochs", "1", "--out", out, "--force", *SMALL, cwd=tmp_path, timeout=60)
    assert time.monotonic() - started < scaled(15)   # refused before TensorFlow is imported
    assert_usage_error(second, "is in use by another deepseek-nb process")
    _, err = first.communicate(timeout=scaled(240))
    assert first.returncode == 0, err[-2000:]
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3  # the first run's, not replaced

@pytest.mark.slow
@pytest.mark.multiprocess
def test_two_copies_started_together_one_runs_one_is_refused(tmp_path):
    out = tmp_path / "run"
    procs = [start("train", "--epochs", "1", "--out", out, *SMALL, cwd=tmp_path) for _ in range(2)]
    results = [(p.wait(scaled(240)), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert "is in use by another deepseek-nb process" in refused and "Traceback" not in refused

@pytest.mark.slow
@pytest.mark.multiprocess
def test_without_out_concurrent_runs_get_their_own_folders(tmp_path):
    procs = [start("train", "--epochs", "1", *SMALL, cwd=tmp_path) for _ in range(2)]
    assert [p.wait(scaled(240)) for p in procs] == [0, 0], [p.stderr.read()[-1000:] for p in procs]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["digits", "digits-2"]

# 4. a damaged backup is set aside and the same command starts over
@pytest.mark.slow
def test_truncated_backup_is_set_aside_and_the_run_starts_over(tmp_path):
    out, staging = tmp_path / "run", tmp_path / ".run.partial"
    command = ["train", "--epochs", "4", "--out", out, "--backup-seconds", "0", *SMALL]
    run = start(*command, cwd=tmp_path)
    deadline = time.monotonic() + scaled(240)
    while not (staging / "backup" / "progress.json").exists():
        assert time.monotonic() < deadline and run.poll() is None, "no backup was written"
        time.sleep(0.2)
    run.kill(); run.wait(scaled(30))
    progress = json.loads((staging / "backup" / "progress.json").read_text())
    weights = staging / "backup" / progress["weights"]
    weights.write_bytes(weights.read_bytes()[:100])   # what a kill during the write used to leave
    again = cli(*command, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "set aside" in again.stderr and "cannot be read" in again.stderr, again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".run.partial.unreadable-")]
    assert len(aside) == 1 and (aside[0] / "backup" / "progress.json").exists()  # set aside, not deleted
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 4

# 6. a full disk: one line, exit 1, resumable state kept
def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir()
    return os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)]).returncode == 0

def test_full_disk_ends_with_one_line(tmp_path):
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "600k"): pytest.skip("needs root to mount a small tmpfs")
    try:
        result = cli("train", "--epochs", "2", "--out", disk / "run", "--backup-seconds", "0", *SMALL, cwd=tmp_path)
        assert result.returncode == 1, result.stderr[-2000:]
        lines = [l for l in result.stderr.splitlines() if l.startswith("deepseek-nb:")]
        assert len(lines) == 1 and "no space left in" in lines[0] and "needed" in lines[0], result.stderr[-2000:]
        assert "Traceback" not in result.stderr and not (disk / "run").exists()
    finally: subprocess.run(["umount", str(disk)])

# 7. the Python API follows the same rule
@pytest.mark.slow
def test_api_needs_overwrite_to_replace_a_run(tmp_path):
    script = f"""
from deepseek_nb.config import preset
from deepseek_nb.data import load_dataset
from deepseek_nb.training import train
m, t = preset("digits")
t = t.replace(epochs=1, min_epochs=0)
train(m.replace(width=8), load_dataset("digits"), t, out={str(tmp_path / 'run')!r})
try: train(m.replace(width=8), load_dataset("digits"), t, out={str(tmp_path / 'run')!r}); print("replaced")
except ValueError as e: print("refused:", e)
train(m.replace(width=8), load_dataset("digits"), t.replace(epochs=2), out={str(tmp_path / 'run')!r}, overwrite=True); print("overwritten")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=scaled(300))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and "pass overwrite=True" in result.stdout and "overwritten" in result.stdout
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs_run"] == 2

def test_killed_after_its_last_backup_the_run_finishes_without_training(tmp_path):
    "Interrupted between the final backup (marked finished) and the commit: the same call commits it, no fit."
    script = f"""
import keras
from deepseek_nb.config import preset
from deepseek_nb.data import load_dataset
from deepseek_nb.training import train
class LateInterrupt(keras.callbacks.Callback):  # after the backup's on_train_end: its state says finished
    def on_train_end(self, logs=None): raise KeyboardInterrupt
m, t = preset("digits")
m, t, data, out = m.replace(width=8), t.replace(epochs=2, min_epochs=0), load_dataset("digits"), {str(tmp_path / 'run')!r}
first = train(m, data, t, out=out, callbacks=[LateInterrupt()])
print("interrupted", first.interrupted)
again = train(m, data, t, out=out)
print("finished", again.interrupted, again.epochs_run, again.metrics["resumed_from_epoch"])
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=scaled(300))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "interrupted True" in result.stdout and "finished False 2 2" in result.stdout, result.stdout
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["epochs_run"] == 2


@pytest.mark.slow
def test_ten_random_kills_always_leave_a_run_that_finishes(tmp_path):
    "kill -9 at a random moment, ten times on one run folder; the same command then resumes or restarts to completion."
    out, rng = tmp_path / "run", random.Random(0)
    command = ["train", "--epochs", "6", "--out", out, "--backup-seconds", "0", *SMALL]
    for _ in range(10):
        run = start(*command, cwd=tmp_path)
        time.sleep(rng.uniform(1.0, 14.0))
        run.kill(); run.wait(scaled(30))
        if out.exists(): break  # it finished before the kill
    final = cli(*command, cwd=tmp_path)
    assert final.returncode in (0, 2), final.stderr[-2000:]
    if final.returncode == 2: assert_usage_error(final, "already exists")  # finished during the kills: kept, not replaced
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 6
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".run.partial.")) == ["run"]
