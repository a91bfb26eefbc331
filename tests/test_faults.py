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


# issue 27. Signals: a stop at a safe point, the state saved, the status of the signal, the same command resumes
DRIVER = r"""
import json, os, random, signal, sys, threading, time, warnings
from pathlib import Path
from deepseek_nb.config import preset
from deepseek_nb.data import from_arrays, load_dataset
from deepseek_nb.training import train

late = []  # signals that came between two trainings: this driver's own handler, which train() must put back
for number in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM): signal.signal(number, lambda n, f: late.append(n))
root, rng, wanted, budget = Path(sys.argv[1]), random.Random(0), int(sys.argv[2]), float(sys.argv[3])
m, t = preset("digits")  # a small model on 600 images: a training takes about 3 s, most of it building and tracing
m, t = m.replace(width=8, depth=1, rnn="none", attention=False, dense_units=16), t.replace(epochs=2, min_epochs=0, batch_size=64)
digits = load_dataset("digits")
data = from_arrays(digits.x[:600], digits.y[:600], name="digits600")
folders, interrupts, typical, begun = [root / "run-0"], 0, 3.0, time.monotonic()
warnings.simplefilter("ignore")  # "learned nothing" after two short epochs: expected here
while interrupts < wanted and time.monotonic() - begun < budget:
    number = rng.choice([signal.SIGINT, signal.SIGINT, signal.SIGHUP, signal.SIGTERM])
    timer = threading.Timer(rng.uniform(0, typical), os.kill, (os.getpid(), number))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.monotonic(); timer.start()
        run = train(m, data, t, out=folders[-1], backup_seconds=rng.choice([0, 30]))
        took = time.monotonic() - started
    timer.cancel(); timer.join()
    lost = [str(w.message) for w in caught if "set aside" in str(w.message)]
    assert not lost, lost  # a backup that could not be resumed
    if run.interrupted:
        interrupts += 1
        assert run.signal_status == 128 + number, (run.signal_status, number)
        backup = folders[-1].parent / f".{folders[-1].name}.partial" / "backup"
        progress = json.loads((backup / "progress.json").read_text())
        assert (backup / progress["weights"]).stat().st_size > 0 and not folders[-1].exists()
    else:
        typical = took
        folders.append(root / f"run-{len(folders)}")
print(json.dumps(dict(interrupts=interrupts, late=len(late), finished=len(folders) - 1)), flush=True)
while not train(m, data, t, out=folders[-1]).folder: pass  # the last one, to its end
epochs = [json.loads((f / "metrics.json").read_text())["epochs_run"] for f in folders]
assert epochs == [2] * len(folders), epochs
print("DONE", len(folders), flush=True)
"""

@pytest.mark.slow
def test_fifty_random_signals_never_crash_and_every_backup_resumes(tmp_path):
    """Ctrl-C, SIGHUP and SIGTERM at random moments of 50 trainings in one process: no crash, no lost backup, each resumed.
    About 2 minutes idle; the budget leaves room for a machine at load 8, where a training took twice as long."""
    result = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path), "50", str(scaled(420))], capture_output=True,
                            text=True, timeout=scaled(540), env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, f"status {result.returncode}: {result.stderr[-3000:]}"  # -6: SIGABRT, a crash
    counts = json.loads(next(l for l in result.stdout.splitlines() if l.startswith("{")))
    assert counts["interrupts"] >= 50 and "DONE" in result.stdout, (counts, result.stdout[-1000:])

@pytest.mark.slow
@pytest.mark.parametrize("name, status", [("SIGHUP", 129), ("SIGTERM", 143)])
def test_sighup_and_sigterm_save_the_state_like_ctrl_c(tmp_path, name, status):
    out = tmp_path / "run"
    command = ["train", "--epochs", "6", "--out", out, "--width", "8"]
    run = start(*command, cwd=tmp_path)
    wait_for(run, "Epoch 3/6")          # two epochs done
    run.send_signal(getattr(signal, name))
    _, err = run.communicate(timeout=scaled(120))
    assert run.returncode == status, err[-2000:]
    said = [l for l in err.splitlines() if l.startswith("deepseek-nb:") and not l.startswith("deepseek-nb: note:")]
    assert len(said) == 1 and "interrupted after" in said[0] and "run the same command again" in said[0], err[-2000:]
    assert "Traceback" not in err
    progress = json.loads((tmp_path / ".run.partial" / "backup" / "progress.json").read_text())
    assert progress["epochs_done"] >= 2, progress
    again = cli(*command, "--quiet", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Resuming the interrupted run" in again.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] >= 2 and metrics["epochs_run"] == 6, metrics

SECOND_CTRL_C = """
import os, signal, sys, keras
save_weights = keras.Model.save_weights
def pressed_again(self, *args, **kwargs):  # a second Ctrl-C arrives while the backup is being written
    os.kill(os.getpid(), signal.SIGINT)
    return save_weights(self, *args, **kwargs)
keras.Model.save_weights = pressed_again
from deepseek_nb.cli import main
sys.exit(main(sys.argv[1:]))
"""

@pytest.mark.slow
def test_a_second_ctrl_c_during_the_save_does_not_cut_it_short(tmp_path):
    out = tmp_path / "run"
    command = ["train", "--epochs", "6", "--out", str(out), "--width", "8"]
    run = subprocess.Popen([sys.executable, "-c", SECOND_CTRL_C, *command], cwd=tmp_path, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wait_for(run, "Epoch 3/6")          # two epochs done, no backup yet (--backup-seconds 30)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=scaled(120))
    assert run.returncode == 130 and "Traceback" not in err, err[-2000:]
    progress = json.loads((tmp_path / ".run.partial" / "backup" / "progress.json").read_text())  # saved, not cut short
    assert progress["epochs_done"] >= 2, progress
    again = cli(*command, "--quiet", cwd=tmp_path)
    assert again.returncode == 0 and "Resuming the interrupted run" in again.stdout, again.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["resumed_from_epoch"] >= 2

# issue 27. A resumed run must find the data it began on
@pytest.mark.slow
def test_resuming_on_changed_data_is_refused_in_one_line(tmp_path):
    import numpy as np
    from conftest import ROOT
    mine = tmp_path / "mine.npz"
    with np.load(ROOT / "data" / "digits.npz") as f: images, labels = f["images"], f["labels"]
    np.savez(mine, images=images, labels=labels)
    command = ["train", "--dataset", mine, "--epochs", "6", "--out", tmp_path / "run", "--width", "8"]
    run = start(*command, cwd=tmp_path)
    wait_for(run, "Epoch 3/6")
    run.send_signal(signal.SIGINT)
    assert run.wait(scaled(120)) == 130, run.stderr.read()[-2000:]
    labels = labels.copy(); labels[0] = (labels[0] + 1) % 10   # one image moved to another class
    np.savez(mine, images=images, labels=labels)
    again = cli(*command, "--quiet", cwd=tmp_path)
    assert_usage_error(again, "holds an unfinished run that began on other data: mine has changed since")
    assert (tmp_path / ".run.partial" / "backup" / "progress.json").is_file() and not (tmp_path / "run").exists()

# issue 27. A run needs only its own folder; its data is provenance
@pytest.mark.slow
def test_a_run_predicts_and_evaluates_after_its_data_moved(tmp_path):
    from conftest import ROOT
    lines = (ROOT / "data" / "sentence_polarity.csv").read_text().splitlines(keepends=True)
    work, other = tmp_path / "work", tmp_path / "other"; work.mkdir(); other.mkdir()
    (work / "mytrain.csv").write_text(lines[0] + "".join(lines[1::30]))
    trained = cli("train", "--dataset", "mytrain.csv", "--epochs", "1", "--out", "run", *SMALL, cwd=work)
    assert trained.returncode == 0, trained.stderr[-2000:]
    (work / "mytrain.csv").rename(other / "renamed.csv")     # the data moves; we work from another folder
    (other / "note.txt").write_text("a moving, funny and beautifully made film")
    labelled = cli("predict", "--run", work / "run", "--input", "note.txt", "--out", "note.csv", cwd=other)
    assert labelled.returncode == 0, labelled.stderr[-2000:]
    assert (other / "note.csv").read_text().count("\n") == 2
    scored = cli("evaluate", "--run", work / "run", "--dataset", "renamed.csv", "--json", cwd=other)
    assert scored.returncode == 0, scored.stderr[-2000:]
    needs_data = cli("compress", "--run", work / "run", "--epochs", "1", "--repeats", "2", cwd=other)
    assert_usage_error(needs_data, f"looked for {work / 'mytrain.csv'}")  # the path it looked for, named

# issue 27. A run folder's parts and the inputs given to its model: one line naming the file, the shape or the rows
@pytest.mark.slow
def test_damaged_side_files_mismatched_parts_and_bad_arrays_are_one_line(tmp_path, trained):
    import numpy as np
    from PIL import Image
    from conftest import ROOT
    run = trained("digits", tmp_path / "run")
    with np.load(ROOT / "data" / "digits.npz") as f: Image.fromarray(np.uint8(f["images"][0] * 15)).save(tmp_path / "zero.png")
    (run / "metrics.json").write_text("{'best"); (run / "history.csv").write_text("epoch,loss\n1,oops\n")
    predicted = cli("predict", "--run", run, "--input", tmp_path / "zero.png", "--out", tmp_path / "zero.csv")
    assert predicted.returncode == 0, predicted.stderr[-2000:]   # predicting needs neither file
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "model": {**config["model"], "input_shape": [16, 16]}}))
    assert_usage_error(cli("predict", "--run", run, "--input", tmp_path / "zero.png"), f"{run / 'model.keras'} does not match {run / 'config.json'}")
    (run / "config.json").write_text(json.dumps({**config, "class_names": ["zero", "one"]}))
    script = f"""
import json, numpy as np
from deepseek_nb.training import Run
with np.load({str(ROOT / 'data' / 'digits.npz')!r}) as f: x = f["images"][:30].astype("float32")
run = Run.load({str(run)!r})
def said(call):
    try: call(); return "accepted"
    except Exception as e: return f"{{type(e).__name__}}: {{e}}"
holes = x[:4].copy(); holes[2, 3, 3] = np.nan
print(json.dumps(dict(history=said(lambda: run.history), shape=said(lambda: run.predict(x[0])),
                      nan=said(lambda: run.predict(holes)), names=said(lambda: run.predict(x)))))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=scaled(120))
    assert result.returncode == 0, result.stderr[-2000:]
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert said["history"].startswith(f"BadInput: {run / 'history.csv'} is damaged"), said
    assert said["shape"].startswith("BadInput: `inputs` must be of shape (n, 8, 8) for this run's model. Received: shape (8, 8)"), said
    assert said["nan"].startswith("BadInput: 1 of the 4 inputs hold NaN or infinite values (index 2)"), said
    assert said["names"].startswith(f"BadInput: {run / 'config.json'}: `class_names` names 2 classes but the model has 10 outputs"), said
