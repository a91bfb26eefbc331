"""The Playground's Search panel (`deepseek_nb.search_panel`); a `deepseek-nb sweep` that survives a kill."""
import json, math, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import cli, scaled

TRIALS, EPOCHS = 3, 2


def test_results_table_and_bad_arguments():
    "The table marks the lowest validation loss; a `configs` that is not callable, or not a pair, is refused."
    from types import SimpleNamespace
    from deepseek_nb.config import preset
    from deepseek_nb.runs import BadInput
    from deepseek_nb.search_panel import SearchPanel, _row, results_html
    from deepseek_nb.sweep import sweep

    m, t = preset("digits")
    run = lambda loss, acc: SimpleNamespace(model_config=m, train_config=t, best_epoch=0, epochs_run=1,
                                           history=dict(val_loss=[loss], val_accuracy=[acc]))
    table = results_html([_row("0", run(0.4, 0.9)), _row("1", run(0.2, 0.8)), _row("2", run(0.3, 0.95))])
    best_row = [r for r in table.split("<tr") if "★ best" in r]
    assert len(best_row) == 1 and "<td>1</td>" in best_row[0] and "0.2" in best_row[0]
    with pytest.raises(BadInput, match="must be a callable"):
        SearchPanel(configs=(m, t))
    with pytest.raises(BadInput, match=r"\(ModelConfig, TrainConfig\) pair"):
        sweep("digits", trials=1, out="unused", configs=(t, m))


def _panel_rows_finite(panel, n):
    assert len(panel.rows) == n, panel.status.value
    assert all(math.isfinite(r["val_accuracy"]) and 0 < r["val_accuracy"] <= 1 for r in panel.rows)
    assert panel.table.value.count("<tr") == n + 1 and panel.table.value.count("★ best") == 1


@pytest.mark.slow
def test_panel_search_stop_and_resume(tmp_path):
    "Search by pressing the button: 2 trials listed, figure drawn; Stop mid-search keeps finished trials."
    import pandas as pd
    from deepseek_nb.config import preset
    from deepseek_nb.search_panel import SearchPanel

    panel = SearchPanel("digits", trials=2, epochs=1, out=tmp_path / "two")
    blank = panel.figure.value
    panel.search_button.click()
    assert panel.running and panel.stop_button.disabled is False and panel.search_button.disabled
    panel.search_button.click()  # a second press while running: refused with a message
    assert "already running" in panel.status.value
    assert panel.wait(scaled(600)), f"the search did not end in {scaled(600):.0f} s"
    assert panel.error is None, panel.error
    _panel_rows_finite(panel, 2)
    assert panel.rows[0]["depth"] == preset("digits")[0].depth  # the preset first
    assert panel.draws >= 3 and panel.figure.value != blank  # live redraws, per trial, and the final one
    assert panel.figure.value[:4] == b"\x89PNG"
    assert "done: 2 trials" in panel.status.value and not panel.result.stopped
    assert (tmp_path / "two" / "results.csv").is_file()
    panel.trials.value = 3  # a different search into the finished one's folder: refused, with what to do
    panel.search_button.click()
    assert panel.wait(scaled(300)) and "tick 'replace an earlier search'" in panel.status.value, panel.status.value
    assert len(pd.read_csv(tmp_path / "two" / "results.csv")) == 2  # the finished search is untouched

    # Stop while the second of three trials runs: the first one is kept, no third trial starts
    panel = SearchPanel("digits", trials=3, epochs=1, out=tmp_path / "three", redraw_interval=0.2)
    panel.search_button.click()
    deadline = time.monotonic() + scaled(600)
    while len(panel.rows) < 1 and panel.running and time.monotonic() < deadline:
        time.sleep(0.05)
    panel.stop_button.click()
    assert panel.wait(scaled(600))
    assert panel.error is None, panel.error
    assert panel.result.stopped and 1 <= len(panel.rows) < 3, panel.status.value
    _panel_rows_finite(panel, len(panel.rows))
    assert "stopped" in panel.status.value and "resume" in panel.status.value
    staging = tmp_path / ".three.partial"
    assert not (tmp_path / "three").exists() and (staging / "trial-0" / "metrics.json").is_file()
    first = (staging / "trial-0" / "history.csv").read_text()
    kept = len(panel.rows)

    # the same settings again: the search resumes, the finished trials are not trained again
    panel.search_button.click()
    assert panel.wait(scaled(600)) and panel.error is None, panel.error
    _panel_rows_finite(panel, 3)
    assert (tmp_path / "three" / "trial-0" / "history.csv").read_text() == first
    assert "done: 3 trials" in panel.status.value and not panel.result.stopped
    assert [r["trial"] for r in panel.rows][:kept] == [str(i) for i in range(kept)]


@pytest.mark.slow
def test_sweep_from_given_configs(tmp_path):
    "`configs=` starts the search from given settings (the Playground's): the first trial is them, capped."
    from deepseek_nb.config import preset
    from deepseek_nb.runs import marker
    from deepseek_nb.sweep import sweep
    from deepseek_nb.training import Run

    m, t = preset("digits")
    start = (m.replace(depth=1, width=16), t.replace(learning_rate=0.004))
    found = sweep("digits", trials=1, out=tmp_path / "s", epochs=1, configs=start)
    row = found.results.iloc[0]
    assert (row.depth, row.width, row.learning_rate) == (1, 16, 0.004) and row.epochs == 1
    run = Run.load(tmp_path / "s" / "trial-0")
    assert run.model_config == start[0] and run.train_config.epochs == 1
    assert marker(tmp_path / "s")["sweep"]["start"]["model"]["depth"] == 1  # part of the sweep's note
    again = sweep("digits", trials=1, out=tmp_path / "s", epochs=1, configs=start)  # finished: read back
    assert again.results.equals(found.results)
    # a kill between a trial's last file and the oracle's record: the retried trial's run is read back
    from deepseek_nb.data import load_dataset
    from deepseek_nb.sweep import _finished_run, _start

    model_cfg, train_cfg = _start(load_dataset("digits"), 1, start)  # what the sweep gave trial 0
    kept = _finished_run(tmp_path / "s" / "trial-0", model_cfg, train_cfg)
    assert kept is not None and kept.history == run.history
    assert _finished_run(tmp_path / "s" / "trial-0", model_cfg.replace(depth=2), train_cfg) is None
    assert _finished_run(tmp_path / "s" / "trial-9", model_cfg, train_cfg) is None


def _exe() -> str:
    return shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))


def _killed_after_first_trial(out: Path, *args) -> Path:
    "Start `deepseek-nb sweep`, SIGKILL it once trial-0's run folder is finished; returns that folder."
    command = [_exe(), "sweep", "--dataset", "digits", "--out", str(out), "--json", *args]
    log = out.parent / f"{out.name}-killed.log"  # a file, not a pipe: nobody reads it while it runs
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    trial = out.parent / f".{out.name}.partial" / "trial-0"
    deadline = time.monotonic() + scaled(400)
    try:
        while not (trial / "metrics.json").is_file():
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, f"trial 0 did not finish in {scaled(400):.0f} s"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(scaled(60))
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(scaled(60))
    assert process.returncode == -signal.SIGKILL
    assert not out.exists() and not (out.parent / f".{out.name}.partial" / "results.csv").exists()
    return trial


@pytest.mark.slow
def test_sweep_killed_resumes_without_retraining(tmp_path):
    "kill -9 after the first trial; the identical command finishes the sweep, the first trial kept as it was."
    out = tmp_path / "sweep"
    args = ("--trials", str(TRIALS), "--epochs", str(EPOCHS))
    trial = _killed_after_first_trial(out, *args)
    model_time = (trial / "model.keras").stat().st_mtime_ns
    history = (trial / "history.csv").read_text()

    again = cli("sweep", "--dataset", "digits", "--out", out, "--json", *args, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    result = json.loads(again.stdout)  # stdout is only JSON
    assert [t["trial"] for t in result["trials"]] == ["0", "1", "2"]
    assert all(math.isfinite(t["val_accuracy"]) for t in result["trials"])
    import pandas as pd

    table = pd.read_csv(out / "results.csv", dtype=dict(trial=str))
    assert list(table.trial) == ["0", "1", "2"] and table.val_accuracy.notna().all()
    assert (out / "trial-0" / "model.keras").stat().st_mtime_ns == model_time  # not retrained
    assert (out / "trial-0" / "history.csv").read_text() == history
    assert len(history.strip().splitlines()) == EPOCHS + 1  # header and one line per epoch
    assert not (tmp_path / ".sweep.partial").exists()


@pytest.mark.slow
def test_other_sweep_sets_killed_staging_aside(tmp_path):
    "A different sweep on a killed sweep's folder keeps the old staging aside (never deleted) and runs."
    out = tmp_path / "sweep"
    _killed_after_first_trial(out, "--trials", str(TRIALS), "--epochs", str(EPOCHS))
    other = cli("sweep", "--dataset", "digits", "--out", out, "--json", "--trials", "1", "--epochs", "1",
                "--seed", "1", timeout=900)
    assert other.returncode == 0, other.stderr[-3000:]
    assert len(json.loads(other.stdout)["trials"]) == 1
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(".sweep.partial.other-sweep-")]
    assert len(aside) == 1, sorted(p.name for p in tmp_path.iterdir())
    assert (aside[0] / "trial-0" / "metrics.json").is_file()  # the killed sweep's finished trial, kept
    assert (aside[0] / "tuner").is_dir()
    assert len((out / "results.csv").read_text().strip().splitlines()) == 2  # header and the one trial
