"""`deepseek-nb train` as a user runs it: a subprocess, real files, real exit codes."""
import json
import pytest
from conftest import cli, assert_usage_error, scaled

FILES = {"config.json", "history.csv", "metrics.json", "curves.png", "model.keras"}

@pytest.mark.slow
def test_default_train_reaches_97_percent_on_digits(tmp_path):
    result = cli("train", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run = tmp_path / "runs" / "digits"
    assert FILES <= {p.name for p in run.iterdir()}
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"test_accuracy", "test_loss", "epochs_run", "train_seconds", "params"} <= set(metrics)
    assert metrics["test_accuracy"] >= 0.97, metrics
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in result.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["dataset"] == "digits" and config["model"]["depth"] == 2
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"run folder: runs/digits" in result.stdout
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["digits"]  # no staging, lock or backup left beside it
    noise = [l for l in result.stderr.splitlines() if any(w in l for w in ("I0000", "W0000", "E0000", "absl", "cuda", "oneDNN", "cpu_feature_guard"))]
    assert not noise, noise  # a quiet start: no TensorFlow log lines on the terminal
    assert len((run / "history.csv").read_text().splitlines()) == metrics["epochs_run"] + 1

@pytest.mark.slow
def test_run_folder_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "run"
    assert cli("train", "--epochs", "1", "--quiet", "--out", out).returncode == 0
    before = (out / "metrics.json").read_text()
    again = cli("train", "--epochs", "1", "--quiet", "--out", out)
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert (out / "metrics.json").read_text() == before
    (out / "notes.txt").write_text("my notes")  # a file the toolkit did not write: --force must not delete it
    refused = cli("train", "--epochs", "2", "--quiet", "--out", out, "--force")
    assert_usage_error(refused, "holds files deepseek-nb did not write (notes.txt)")
    (out / "notes.txt").unlink()
    forced = cli("train", "--epochs", "2", "--quiet", "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2

@pytest.mark.parametrize("args, message", [
    (["--depth", "0"], "--depth: must be at least 1"),
    (["--epochs", "two"], "--epochs: must be a whole number"),
    (["--learning-rate", "-1"], "--learning-rate: must be a positive number"),
    (["--dataset", "cifar1000"], "Unknown data set 'cifar1000'"),
    (["--depth", "4"], "Use depth <= 3"),
    (["--batch-size", "1.5"], "--batch-size: must be a whole number"),
    (["--colour", "red"], "unrecognized arguments: --colour"),
])
def test_bad_flags_exit_2_with_one_line(tmp_path, args, message):
    assert_usage_error(cli("train", *args, cwd=tmp_path, timeout=120), message)
    assert not (tmp_path / "runs").exists()

def test_help_lists_the_flags():
    result = cli("train", "--help", timeout=60)
    assert result.returncode == 0
    for flag in ("--dataset", "--epochs", "--depth", "--width", "--heads", "--learning-rate", "--batch-size", "--seed", "--out", "--force"):
        assert flag in result.stdout

@pytest.mark.slow
def test_killed_run_resumes_when_the_same_command_runs_again(tmp_path):
    import os, shutil, signal, subprocess, sys, time
    from pathlib import Path
    out, staging = tmp_path / "run", tmp_path / ".run.partial"
    command = [shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb")),
               "train", "--epochs", "8", "--width", "16", "--out", str(out), "--backup-seconds", "0"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + scaled(240)
    try:
        for line in first.stdout:  # Keras prints "Epoch 4/8" when epoch 3 has finished and its backup is written
            if line.startswith("Epoch 4/8") or time.monotonic() > deadline: break
        assert time.monotonic() <= deadline, "the first run did not finish 3 epochs in time"
    finally:
        first.send_signal(signal.SIGKILL); first.wait(scaled(30))
    done = json.loads((staging / "backup" / "progress.json").read_text())["epochs_done"]
    assert 3 <= done < 8 and not out.exists()

    changed = cli("train", "--epochs", "8", "--width", "8", "--out", out, "--quiet", cwd=tmp_path)  # not the same command
    assert_usage_error(changed, "holds an unfinished run with another configuration")
    assert (staging / "backup" / "progress.json").exists()  # the cut-off run is still there to resume

    again = cli("train", "--epochs", "8", "--width", "16", "--out", out, "--quiet", "--backup-seconds", "0", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"Resuming the interrupted run in {staging}" in again.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == done and metrics["epochs_run"] == 8, metrics
    assert len((out / "history.csv").read_text().splitlines()) == 8 + 1
    assert not staging.exists()

def test_tensorboard_logs_the_run_folders_curves(tmp_path):
    "--tensorboard writes RUN/logs with one value per epoch of each curve history.csv has (issue 16, item 5)."
    out = tmp_path / "run"
    result = cli("train", "--epochs", "2", "--width", "8", "--depth", "1", "--quiet", "--tensorboard", "--out", out)
    assert result.returncode == 0, result.stderr[-2000:]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    history = (out / "history.csv").read_text().splitlines()
    for split, prefix in (("train", ""), ("validation", "val_")):
        events = EventAccumulator(str(out / "logs" / split))
        events.Reload()
        assert {"epoch_loss", "epoch_accuracy"} <= set(events.Tags()["tensors"])
        assert len(events.Tensors("epoch_loss")) == len(history) - 1 == 2
    assert any(p.startswith("logs/") for p in json.loads((out / ".deepseek-nb").read_text())["written"])  # --force may replace them
