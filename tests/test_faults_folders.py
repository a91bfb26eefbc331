"""Nothing lost, round 2 (issue 27, items 1-5 and 10): the folders the toolkit writes, and sweeps.

One test per rule, each failing on the code before the fix: `--force` deletes only what the toolkit wrote (at any
depth); the names beside a target (`.NAME.old`, `.NAME.partial`, `.NAME.lock`) are never a user's folder deleted or
moved; `--force` replaces only an earlier output of the same kind; a symbolic link as an output is refused in one line;
Ctrl-C stops a sweep with exit 130 and the same command resumes it; a sweep of other data with the same name sweeps
again instead of returning the earlier results."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from conftest import ROOT, cli, assert_usage_error, scaled

EXE = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
SMALL = ["--width", "8", "--epochs", "1", "--quiet"]


def tree(folder: Path) -> dict:
    "Every file and link under `folder` (links not followed) with its bytes or target: to compare before and after."
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(top) / name
            if p.is_symlink():
                found[str(p.relative_to(folder))] = f"link to {os.readlink(p)}"
            elif p.is_file():
                found[str(p.relative_to(folder))] = p.read_bytes()
    return found


def error_line(result) -> str:
    return next(l for l in result.stderr.splitlines() if l.startswith("deepseek-nb: error:"))


# 1. --force (and a second compress) delete only the files the toolkit wrote, at any depth
@pytest.mark.slow
def test_force_deletes_only_what_the_toolkit_wrote(tmp_path, trained):
    from deepseek_nb.runs import staged_folder, write_atomic, write_output

    run = trained("digits", tmp_path / "runs" / "a")
    with staged_folder(run / "evaluations" / "letters-test", overwrite=False, what="evaluation folder") as s:
        write_atomic(s / "metrics.json", "{}")  # as `deepseek-nb evaluate` writes it
    with staged_folder(run / "compressed", command="compress", run=str(run)) as s:  # as `compress` writes it
        write_atomic(s / "int8" / "config.json", "{}")
        write_atomic(s / "compare.csv", "variant\n")
    write_output(run / "predictions" / "digits.csv", "source,prediction\n")  # as `predict` writes it
    mine = ["backup/model-copy.txt", "compressed/int8/deploy_notes.txt", "evaluations/letters-test/notes.txt",
            "labels.json", "predictions/ground_truth_by_hand.csv"]
    for name in mine:
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text(f"the user's {name}")
    before = tree(run)

    refused = cli("train", "--out", run, "--force", *SMALL, cwd=tmp_path, timeout=120)
    assert_usage_error(refused, "did not write")
    line = error_line(refused)
    assert all(name in line for name in mine) and "move them out" in line, line
    assert "digits.csv" not in line and "metrics.json" not in line  # the toolkit's own files are not listed
    assert tree(run) == before

    again = cli("compress", "--run", run, cwd=tmp_path, timeout=120)  # a second compress into RUN/compressed
    assert_usage_error(again, "int8/deploy_notes.txt")
    assert tree(run) == before


# 2. the names the toolkit keeps beside a target are its own, or fresh: a user's folder there is never deleted or moved
@pytest.mark.slow
def test_a_users_folders_beside_a_target_are_never_deleted_or_moved(tmp_path, trained):
    runs = tmp_path / "runs"
    trained("digits", runs / "a")
    for name in (".a.old", ".ghost.old", ".b.partial"):
        (runs / name).mkdir()
        (runs / name / "mine.txt").write_text(f"the user's {name}")
    (runs / ".c.lock").write_text("the user's notes, not a lock")
    before = {name: tree(runs / name) for name in (".a.old", ".ghost.old", ".b.partial")}

    replaced = cli("train", "--out", runs / "a", "--force", *SMALL, cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr[-2000:]
    new = cli("train", "--out", runs / "ghost", *SMALL, cwd=tmp_path)
    assert new.returncode == 0, new.stderr[-2000:]
    assert json.loads((runs / "ghost" / "metrics.json").read_text())["epochs_run"] == 1
    assert not (runs / "ghost" / "mine.txt").exists()  # a new run, not the user's folder renamed
    assert_usage_error(cli("train", "--out", runs / "b", *SMALL, cwd=tmp_path, timeout=60), ".b.partial is in the way")
    assert_usage_error(cli("train", "--out", runs / "c", *SMALL, cwd=tmp_path, timeout=60), ".c.lock is in the way")
    assert {name: tree(runs / name) for name in before} == before
    assert (runs / ".c.lock").read_text() == "the user's notes, not a lock"
    assert sorted(p.name for p in runs.iterdir()) == [".a.old", ".b.partial", ".c.lock", ".ghost.old", "a", "ghost"]


# 3. --force replaces only an earlier output of the same kind; the sweep's refusal names --force
@pytest.mark.slow
def test_force_replaces_only_an_output_of_the_same_kind(tmp_path, trained):
    run = trained("digits", tmp_path / "runs" / "a")
    sweep_args = ["--trials", "1", "--epochs", "1", "--json"]
    made = cli("sweep", "--out", tmp_path / "runs" / "s", *sweep_args, cwd=tmp_path, timeout=600)
    assert made.returncode == 0, made.stderr[-2000:]
    the_run, the_sweep = tree(run), tree(tmp_path / "runs" / "s")

    over_run = cli("sweep", "--out", run, "--force", *sweep_args, cwd=tmp_path, timeout=300)
    assert_usage_error(over_run, "holds a deepseek-nb run folder, not a sweep folder")
    over_sweep = cli("train", "--out", tmp_path / "runs" / "s", "--force", *SMALL, cwd=tmp_path, timeout=120)
    assert_usage_error(over_sweep, "holds a deepseek-nb sweep folder, not a run folder")
    other = cli("sweep", "--out", tmp_path / "runs" / "s", "--trials", "2", "--epochs", "1", cwd=tmp_path, timeout=300)
    assert_usage_error(other, "already exists; pass --force to replace it")  # the flag the user has, not the API's
    assert tree(run) == the_run and tree(tmp_path / "runs" / "s") == the_sweep


# 4. a symbolic link as an output (to a folder, to a file, dangling) is refused in one line, for every command
@pytest.mark.slow
def test_an_output_that_is_a_symbolic_link_is_refused(tmp_path, trained):
    run = trained("text", tmp_path / "run")
    (tmp_path / "empty").mkdir()
    (tmp_path / "to-empty").symlink_to(tmp_path / "empty")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "nowhere" / "predictions.csv")
    (tmp_path / "inputs.csv").write_text("text\na fine film\na dull film\n")
    before = tree(tmp_path)

    assert_usage_error(cli("train", "--out", "to-empty", *SMALL, cwd=tmp_path, timeout=60), "is a symbolic link")
    assert_usage_error(cli("compress", "--run", run, "--out", "to-empty", cwd=tmp_path, timeout=60),
                       "is a symbolic link")
    assert_usage_error(cli("sweep", "--out", "dangling", "--trials", "1", "--epochs", "1", cwd=tmp_path, timeout=300),
                       "is a symbolic link")
    predicted = cli("predict", "--run", run, "--input", "inputs.csv", "--out", "dangling.csv", cwd=tmp_path, timeout=300)
    assert_usage_error(predicted, "is a symbolic link")
    assert tree(tmp_path) == before
    assert not list((tmp_path / "empty").iterdir()) and not (tmp_path / "nowhere").exists()


# 5. Ctrl-C stops a sweep at once with exit 130; the same command resumes it to the end
@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_and_the_same_command_resumes_it(tmp_path):
    out, staging = tmp_path / "sweep", tmp_path / ".sweep.partial"
    command = ["sweep", "--dataset", "digits", "--out", out, "--trials", "2", "--epochs", "3", "--json"]
    log = tmp_path / "interrupted.log"
    with open(log, "wb") as sink:  # a file, not a pipe: nobody reads it while it runs
        process = subprocess.Popen([EXE, *map(str, command)], cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + scaled(400)
    try:
        while not ((staging / "trial-0" / "metrics.json").is_file() and (staging / ".trial-1.partial").is_dir()):
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "trial 1 did not start in time"
            time.sleep(0.02)
        time.sleep(0.5)  # trial 1 is being prepared or in its first epoch
        process.send_signal(signal.SIGINT)
        process.wait(scaled(120))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    said = log.read_text()
    assert process.returncode == 130, said[-2000:]
    assert "Traceback" not in said and "FatalValueError" not in said, said[-2000:]
    assert not out.exists() and not (staging / "trial-1").exists()  # trial 1 was not recorded as finished
    first = (staging / "trial-0" / "model.keras").stat().st_mtime_ns

    again = cli(*command, cwd=tmp_path, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert [t["trial"] for t in json.loads(again.stdout)["trials"]] == ["0", "1"]
    assert (out / "trial-0" / "model.keras").stat().st_mtime_ns == first  # the finished trial was not retrained
    assert json.loads((out / "trial-1" / "metrics.json").read_text())["epochs_run"] >= 1
    assert not staging.exists()


# 10. a sweep decides "already finished" by the data's identity (path and contents), not its name
@pytest.mark.slow
def test_a_sweep_of_other_data_with_the_same_name_sweeps_again(tmp_path):
    with np.load(ROOT / "data" / "digits.npz") as f:
        images, labels = f["images"], f["labels"]
    two = np.isin(labels, [0, 1])
    for folder, x, y in (("a", images[:300], labels[:300]), ("b", images[two][:200], labels[two][:200])):
        (tmp_path / folder).mkdir()
        np.savez(tmp_path / folder / "train.npz", images=x, labels=y)
    args = ["--trials", "1", "--epochs", "1", "--json"]

    def sweep(dataset: str) -> dict:
        result = cli("sweep", "--dataset", dataset, *args, cwd=tmp_path, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout)

    def classes(folder: str) -> int:
        return len(json.loads((tmp_path / "runs" / folder / "trial-0" / "config.json").read_text())["class_names"])

    sweep("a/train.npz")
    sweep("b/train.npz")  # the same name, "train": before the fix, a's 10-class results came back in seconds
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["sweep-train", "sweep-train-2"]
    assert (classes("sweep-train"), classes("sweep-train-2")) == (10, 2)
    again = sweep("b/train.npz")  # the same data again: its finished sweep, nothing trained
    assert again["trials"][0]["seconds"] == json.loads((tmp_path / "runs" / "sweep-train-2" / "results.json")
                                                       .read_text())["trials"][0]["seconds"]
    np.savez(tmp_path / "a" / "train.npz", images=images[:300], labels=np.roll(labels[:300], 1))  # edited
    sweep("a/train.npz")
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["sweep-train", "sweep-train-2", "sweep-train-3"]
