"""Issue 27, the command line's part: each test reproduces one rule the CLI broke, as a user meets it from a terminal.

1 what predict writes into a run is recorded as the toolkit's; 15 a test set that overlaps the training data is named
in a note; 16 outputs never go inside the data folder; 18 every command that reads a CSV takes its columns, and a run
remembers them; 19 a read-only run folder is refused before the work, and `evaluate --out` writes elsewhere; 22 bad
input is one line with exit 2, not an internal exception; 23 a test set of one class is scored; 7 SIGTERM/SIGHUP outside
training end a command like Ctrl-C."""
import contextlib, csv, json, os, shutil, signal, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from conftest import ROOT, cli, assert_usage_error, scaled
from deepseek_nb.data import load_dataset

SMALL = ["--width", "8", "--quiet"]
COLUMNS = ["--text-column", "review", "--label-column", "sentiment"]

def tree(folder: Path) -> dict:
    "Every file and folder under `folder`, files with their bytes: to compare before and after."
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}

def _digit_pngs(folder: Path, rows, classes: bool = True) -> Path:
    "8x8 PNGs of `digits` samples `rows`, in class folders (`classes`) or all in `folder`."
    from PIL import Image
    digits = load_dataset("digits")
    for i in rows:
        place = folder / (digits.class_names[digits.y[i]] if classes else "")
        place.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.uint8(digits.x[i] * 15)).save(place / f"{i}.png")
    return folder

def _reviews(path: Path, rows: list) -> Path:
    "A CSV with the README's columns, `review` and `sentiment` (not the loader's default `text` and `label`)."
    with path.open("w", newline="") as f:
        writer = csv.writer(f); writer.writerow(["review", "sentiment"]); writer.writerows(rows)
    return path

def _example_reviews(n: int) -> list:
    "`n` rows of data/examples/reviews.csv, both classes mixed (the file is sorted by label)."
    rows = list(csv.reader((ROOT / "data" / "examples" / "reviews.csv").open()))[1:]
    return [rows[i] for i in np.random.default_rng(0).permutation(len(rows))[:n]]

# 15. `train --test` on samples that are also training data says so
@pytest.mark.slow
def test_train_notes_test_samples_that_are_also_in_the_training_data(tmp_path):
    rows = _example_reviews(160)
    train_csv, test_csv = _reviews(tmp_path / "reviews.csv", rows[:120]), _reviews(tmp_path / "test.csv", rows[90:])
    for test, words in ((train_csv, "120 of the 120 samples"), (test_csv, "30 of the 70 samples")):
        result = cli("train", "--dataset", train_csv, "--test", test, *COLUMNS, "--epochs", "1", *SMALL,
                     "--out", tmp_path / test.stem, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        notes = [l for l in result.stderr.splitlines() if "also in the training data" in l]
        assert len(notes) == 1, result.stderr
        assert notes[0].startswith(f"deepseek-nb: note: {words} of the test set {test}"), notes[0]
        assert "deepseek-nb audit --dataset" in notes[0]

# 16. outputs never go inside the data folder the command reads
def test_outputs_inside_the_data_folder_are_refused_before_any_work(tmp_path):
    data = _digit_pngs(tmp_path / "mydata", range(40))
    before = tree(data)
    for argv, cwd in ((["train", "--dataset", ".", *SMALL], data),   # the default runs/ would be made among the classes
                      (["train", "--dataset", data, "--out", data / "zero" / "run", *SMALL], tmp_path),
                      (["train", "--test", data, "--out", data / "runs" / "a", *SMALL], tmp_path),
                      (["sweep", "--dataset", data, "--out", data / "sweep"], tmp_path)):
        result = cli(*argv, "--epochs", "1", cwd=cwd, timeout=120)
        assert_usage_error(result, "inside the data folder")
        assert "run deepseek-nb from another folder, or pass --out with a folder outside" in result.stderr
    assert tree(data) == before   # no runs/, no lock, no staging folder

# 18. every command that reads a CSV takes --text-column and --label-column; a run remembers its own
@pytest.mark.slow
def test_every_command_reading_a_csv_takes_its_columns_and_a_run_remembers_them(tmp_path):
    reviews, held_out = _reviews(tmp_path / "reviews.csv", _example_reviews(160)), tmp_path / "held_out.csv"
    _reviews(held_out, _example_reviews(400)[300:340])
    audited = cli("audit", "--dataset", reviews, *COLUMNS, "--no-label-errors", "--json", cwd=tmp_path)
    assert audited.returncode == 0 and json.loads(audited.stdout)["n_samples"] == 160, audited.stderr[-2000:]
    swept = cli("sweep", "--dataset", reviews, *COLUMNS, "--trials", "1", "--epochs", "1", "--out", tmp_path / "sweep",
                "--json", cwd=tmp_path)
    assert swept.returncode == 0 and len(json.loads(swept.stdout)["trials"]) == 1, swept.stderr[-2000:]
    run = tmp_path / "run"
    trained = cli("train", "--dataset", reviews, *COLUMNS, "--epochs", "1", *SMALL, "--out", run, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    scored = cli("evaluate", "--run", run, "--dataset", held_out, "--json", cwd=tmp_path)   # the run's columns
    assert scored.returncode == 0 and json.loads(scored.stdout)["n_samples"] == 40, scored.stderr[-2000:]
    compressed = cli("compress", "--run", run, "--epochs", "1", "--tflite", "float32", "--repeats", "2", cwd=tmp_path)
    assert compressed.returncode == 0 and (run / "compressed" / "compare.csv").is_file(), compressed.stderr[-2000:]
    wrong = cli("evaluate", "--run", run, "--dataset", held_out, "--text-column", "text", cwd=tmp_path)
    assert_usage_error(wrong, "has no column(s) text")   # the flags win over what the run recorded

# 19. a read-only run folder: refused in one line before the work; `evaluate --out` writes elsewhere
@contextlib.contextmanager
def read_only_copy(run: Path, place: Path):
    "A copy of `run` that nobody may write in: on a read-only tmpfs (root writes through file modes), else chmod."
    place.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(place)]).returncode == 0
    if os.geteuid() == 0 and not mounted: pytest.skip("root needs a read-only tmpfs mount for a read-only folder")
    copy = shutil.copytree(run, place / run.name)
    try:
        if mounted: subprocess.run(["mount", "-o", "remount,ro", str(place)], check=True)
        else: subprocess.run(["chmod", "-R", "a-w", str(copy)], check=True)
        yield copy
    finally:
        if mounted: subprocess.run(["umount", str(place)])
        else: subprocess.run(["chmod", "-R", "u+w", str(copy)])

@pytest.mark.slow
def test_read_only_run_folder_is_refused_before_the_work_and_evaluate_takes_out(tmp_path, trained):
    new = _digit_pngs(tmp_path / "new", range(4), classes=False)
    with read_only_copy(trained("digits", tmp_path / "digits"), tmp_path / "ro") as run:
        predicted = cli("predict", "--run", run, "--input", new, cwd=tmp_path, timeout=120)
        target = run / "predictions" / "new.csv"
        assert_usage_error(predicted, f"{run} is read-only, so {target} cannot be written there")
        assert "pass --out" in predicted.stderr
        evaluated = cli("evaluate", "--run", run, "--dataset", "digits", cwd=tmp_path, timeout=120)
        assert_usage_error(evaluated, f"{run} is read-only")
        assert "pass --out" in evaluated.stderr
        elsewhere = cli("evaluate", "--run", run, "--dataset", "digits", "--out", tmp_path / "scores", "--json",
                        cwd=tmp_path, timeout=120)
        assert elsewhere.returncode == 0, elsewhere.stderr[-2000:]
        names = ("confusion.png", "metrics.json", "predictions.csv")
        assert json.loads(elsewhere.stdout)["written"] == [str(tmp_path / "scores" / n) for n in names]
        assert json.loads((tmp_path / "scores" / "metrics.json").read_text())["n_samples"] == 1797
        again = cli("evaluate", "--run", run, "--dataset", "digits", "--out", tmp_path / "scores", cwd=tmp_path,
                    timeout=120)
        assert_usage_error(again, "choose another --out")   # never over an earlier evaluation
        labelled = cli("predict", "--run", run, "--input", new, "--out", tmp_path / "labels.csv", cwd=tmp_path,
                       timeout=120)
        assert labelled.returncode == 0 and len(list(csv.DictReader((tmp_path / "labels.csv").open()))) == 4

# 22. bad input ends in one line with exit 2, not an internal exception
def test_bad_input_is_one_line_not_an_internal_exception(tmp_path):
    huge = "99999999999999999999"
    for argv in (["train", "--seed", huge], ["audit", "--dataset", "digits", "--seed", huge],
                 ["sweep", "--seed", huge], ["train", "--seed", "-1"]):
        assert_usage_error(cli(*argv, cwd=tmp_path, timeout=120), "--seed: must be a whole number from 0 to 4294967295")
    (tmp_path / "runs").write_text("a file of the user's, named runs")
    assert_usage_error(cli("train", "--epochs", "1", *SMALL, cwd=tmp_path, timeout=120),
                       f"{tmp_path / 'runs'} is a file, not a folder, so runs/digits cannot be made in it")
    assert (tmp_path / "runs").read_text() == "a file of the user's, named runs"
    (tmp_path / "run").mkdir(); (tmp_path / "run" / "predictions").write_text("mine")
    predicted = cli("predict", "--run", tmp_path / "run", "--input", tmp_path / "x.png", cwd=tmp_path, timeout=120)
    assert_usage_error(predicted, f"{tmp_path / 'run' / 'predictions'} is a file, not a folder")

# 1. what predict writes into a run is recorded as the toolkit's: a later `train --force` on the run replaces it
@pytest.mark.slow
def test_predictions_written_into_a_run_do_not_block_train_force(tmp_path, trained):
    run, new = trained("digits", tmp_path / "run"), _digit_pngs(tmp_path / "new", range(3), classes=False)
    for _ in range(2):   # new.csv, then new-2.csv
        labelled = cli("predict", "--run", run, "--input", new, cwd=tmp_path, timeout=120)
        assert labelled.returncode == 0, labelled.stderr[-2000:]
    assert sorted(p.name for p in (run / "predictions").glob("*.csv")) == ["new-2.csv", "new.csv"]
    again = cli("train", "--out", run, "--force", "--epochs", "1", *SMALL, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not (run / "predictions").exists() and json.loads((run / "metrics.json").read_text())["epochs_run"] == 1


# 23. a test set of one class is scored (metrics over the classes it holds), not refused
@pytest.mark.slow
def test_evaluate_scores_a_test_set_of_one_class(tmp_path, trained):
    run = trained("text", tmp_path / "run")
    names = json.loads((run / "config.json").read_text())["class_names"]
    polarity = load_dataset("sentence_polarity")
    negatives = tmp_path / "negatives.csv"
    with negatives.open("w", newline="") as f:
        writer = csv.writer(f); writer.writerow(["text", "label"])
        writer.writerows((t, names[0]) for t in polarity.x[polarity.y == 0][:50])
    scored = cli("evaluate", "--run", run, "--dataset", negatives, "--json", cwd=tmp_path, timeout=180)
    assert scored.returncode == 0, scored.stderr[-2000:]
    result = json.loads(scored.stdout)
    assert result["n_samples"] == 50 and result["per_class"][names[1]]["support"] == 0
    assert result["confusion"][1] == [0, 0] and sum(result["confusion"][0]) == 50   # every class kept
    assert result["macro_f1"] == pytest.approx(result["per_class"][names[0]]["f1"])


# 7 (outside training). SIGTERM or SIGHUP while a command is not training ends it like Ctrl-C, with the shell's status
@pytest.mark.slow
@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_outside_training_end_like_ctrl_c(tmp_path, trained, signum, status):
    run = trained("digits", tmp_path / "run")
    exe = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
    proc = subprocess.Popen([exe, "compress", "--run", str(run), "--epochs", "1", "--repeats", "2", "--tflite", "float32"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in proc.stderr:  # compress trains nothing of its own in train(): the command's handler answers
            if line.startswith("[compress]"): proc.send_signal(signum); break
        else: pytest.fail(f"compress ended (status {proc.wait()}) before its first step")
        rest = proc.stderr.read()
        assert proc.wait(timeout=scaled(60)) == status, rest[-2000:]  # before: killed by the signal (-15, -1)
        assert "deepseek-nb: interrupted" in rest and "Traceback" not in rest
    finally:
        if proc.poll() is None: proc.kill(); proc.wait()
    assert not (run / "compressed").exists()  # nothing half-written
