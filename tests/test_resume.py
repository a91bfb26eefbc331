"""A training process killed with SIGKILL resumes from its last finished epoch when `train` runs again on the same folder."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

EPOCHS = 8
SCRIPT = f"""
import sys, keras
from deepseek_nb.config import preset
from deepseek_nb.data import load_dataset
from deepseek_nb.training import train

class Announce(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None): print("begin", epoch, flush=True)
    def on_epoch_end(self, epoch, logs=None): print("end", epoch, flush=True)

model_cfg, train_cfg = preset("digits")
run = train(model_cfg.replace(width=16, rnn_units=16), load_dataset("digits"),
            train_cfg.replace(epochs={EPOCHS}, patience=0), out=sys.argv[1], callbacks=[Announce()])
print("done", run.epochs_run, run.metrics["resumed_from_epoch"], flush=True)
"""

def _start(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

def test_killed_training_resumes_from_last_finished_epoch(tmp_path):
    folder = tmp_path / "run"
    first = _start(folder)
    deadline = time.monotonic() + 240
    try:
        for line in first.stdout:  # wait until three epochs have finished, then kill without warning
            if line.strip() == "end 2" or time.monotonic() > deadline: break
        assert time.monotonic() <= deadline, "the first training did not finish 3 epochs in time"
        time.sleep(0.3)  # somewhere inside the next epoch
    finally:
        first.send_signal(signal.SIGKILL); first.wait(30)
    assert first.returncode == -signal.SIGKILL
    progress = json.loads((folder / "backup" / "progress.json").read_text())
    finished = progress["epochs_done"]
    assert 3 <= finished < EPOCHS, progress
    assert not (folder / "model.keras").exists()

    second = _start(folder)
    out, _ = second.communicate(timeout=240)
    assert second.returncode == 0, out
    lines = out.split()
    begins = [int(lines[i + 1]) for i, word in enumerate(lines) if word == "begin"]
    assert begins == list(range(finished, EPOCHS)), out  # starts at the first unfinished epoch, none repeated
    assert out.strip().splitlines()[-1] == f"done {EPOCHS} {finished}"
    history = (folder / "history.csv").read_text().splitlines()
    assert len(history) == EPOCHS + 1  # header + one row per epoch, the killed run's included
    assert not (folder / "backup").exists()  # a finished run leaves no backup
    assert json.loads((folder / "metrics.json").read_text())["epochs_run"] == EPOCHS
