"""A user's own data end to end from the terminal: train on a folder, CSV or npz; score a separate test set with
`deepseek-nb evaluate`; label new files with `deepseek-nb predict`; class names everywhere."""
import csv, json
from pathlib import Path
import numpy as np
import pytest
from conftest import cli, assert_usage_error
from deepseek_nb.data import load_dataset

pytestmark = pytest.mark.slow  # real commands training or compressing models: minutes

QUICK = ["--epochs", "2", "--width", "8", "--quiet"]

def _image_folders(root: Path) -> Path:
    "digits drawn as 16x16 PNGs in class folders named after words: train/, test/ and an unlabelled new/."
    from PIL import Image
    d, names = load_dataset("digits"), ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    for split, rows in (("train", range(0, 500)), ("test", range(500, 620)), ("new", range(620, 624))):
        for i in rows:
            folder = root / "letters" / split / (names[d.y[i]] if split != "new" else "")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.uint8(d.x[i] * 15)).resize((16, 16), Image.Resampling.NEAREST).save(folder / f"{i}.png")
    return root / "letters"

def test_image_folder_train_evaluate_predict(tmp_path):
    letters = _image_folders(tmp_path)
    trained = cli("train", "--dataset", letters / "train", *QUICK, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    run = tmp_path / "runs" / "letters-train"   # named after what the user knows, not "train"
    assert "data: 500 images 16x16 grayscale, 10 classes" in trained.stdout
    config = json.loads((run / "config.json").read_text())
    assert config["class_names"] == sorted(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    assert config["data"]["path"] == str(letters / "train") and len(config["data"]["sha256"]) == 64

    scored = cli("evaluate", "--run", run, "--dataset", letters / "test", "--json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr[-2000:]
    result = json.loads(scored.stdout)   # standard output is only the JSON
    assert result["n_samples"] == 120 and 0.1 <= result["accuracy"] <= 1
    assert set(result["per_class"]) == set(config["class_names"])
    assert sum(c["support"] for c in result["per_class"].values()) == 120
    folder = run / "evaluations" / "letters-test"
    assert sorted(result["written"]) == sorted(str(folder / n) for n in ("confusion.png", "metrics.json", "predictions.csv"))
    rows = list(csv.DictReader((folder / "predictions.csv").open()))
    assert len(rows) == 120 and rows[0]["source"].endswith(".png") and rows[0]["true"] in config["class_names"]
    again = cli("evaluate", "--run", run, "--dataset", letters / "test", cwd=tmp_path)   # a second evaluation never replaces the first
    assert again.returncode == 0 and f"wrote {run / 'evaluations' / 'letters-test-2' / 'confusion.png'}" in again.stdout, again.stdout
    assert "precision" in again.stdout and "zero" in again.stdout

    labelled = cli("predict", "--run", run, "--input", letters / "new", cwd=tmp_path)
    assert labelled.returncode == 0, labelled.stderr[-2000:]
    out = run / "predictions" / "new.csv"
    assert f"wrote 4 predictions to {out}" in labelled.stdout
    rows = list(csv.DictReader(out.open()))
    assert [Path(r["source"]).name for r in rows] == ["620.png", "621.png", "622.png", "623.png"]
    assert all(r["prediction"] in config["class_names"] and 0 < float(r["confidence"]) <= 1 for r in rows)
    one = cli("predict", "--run", run, "--input", letters / "new" / "620.png", "--out", tmp_path / "one.csv", cwd=tmp_path)
    assert one.returncode == 0 and len(list(csv.DictReader((tmp_path / "one.csv").open()))) == 1
    assert_usage_error(cli("predict", "--run", run, "--input", letters / "new", "--out", tmp_path / "one.csv", cwd=tmp_path), "never replaces a file")
    assert_usage_error(cli("evaluate", "--run", tmp_path / "nowhere", "--dataset", letters / "test", cwd=tmp_path), "is not a run folder: no such folder")

def test_a_separate_test_folder_instead_of_a_split(tmp_path):
    letters = _image_folders(tmp_path)
    trained = cli("train", "--dataset", letters / "train", "--test", letters / "test", *QUICK, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    config = json.loads((tmp_path / "runs" / "letters-train" / "config.json").read_text())
    assert config["data"]["split"]["test"] == str(letters / "test")
    audited = cli("audit", "--dataset", letters / "train", "--test", letters / "test", "--no-label-errors", "--json", cwd=tmp_path)
    assert audited.returncode == 0 and json.loads(audited.stdout)["train_test_overlap"] == [], audited.stderr[-2000:]

def _reviews(path: Path, rows, text="text"):
    with path.open("w", newline="") as f:
        writer = csv.writer(f); writer.writerow([text, "label"]); writer.writerows(rows)
    return path

def test_csv_of_texts_train_evaluate_predict(tmp_path):
    polarity = load_dataset("sentence_polarity")
    names = np.array(["negative", "positive"])
    pick = np.random.default_rng(0).permutation(len(polarity))[:700]   # the file is sorted by label
    rows = [(polarity.x[i], names[polarity.y[i]]) for i in pick]
    _reviews(tmp_path / "reviews.csv", rows[:500]); _reviews(tmp_path / "held_out.csv", rows[500:], text="review")
    trained = cli("train", "--dataset", tmp_path / "reviews.csv", "--epochs", "2", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "data: 500 texts, 2 classes, sequence length" in trained.stdout and "vocabulary" in trained.stdout
    run = tmp_path / "runs" / "reviews"
    scored = cli("evaluate", "--run", run, "--dataset", tmp_path / "held_out.csv", "--text-column", "review", "--json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert set(json.loads(scored.stdout)["per_class"]) == {"negative", "positive"}
    (tmp_path / "note.txt").write_text("a moving, funny and beautifully made film")
    labelled = cli("predict", "--run", run, "--input", tmp_path / "note.txt", cwd=tmp_path)
    assert labelled.returncode == 0, labelled.stderr[-2000:]
    row = next(csv.DictReader((run / "predictions" / "note.csv").open()))
    assert row["source"].endswith("note.txt") and row["prediction"] in ("negative", "positive")
    csv_rows = cli("predict", "--run", run, "--input", tmp_path / "held_out.csv", "--text-column", "review", cwd=tmp_path)
    assert csv_rows.returncode == 0 and "wrote 200 predictions" in csv_rows.stdout
    first = next(csv.DictReader((run / "predictions" / "held_out.csv").open()))
    assert first["source"] == f"{tmp_path / 'held_out.csv'}:2"   # the CSV line of the text

def test_chinese_csv_trains_on_characters(tmp_path):
    "A user's Chinese reviews (no spaces) with Chinese column and class names: split into characters, learnt, named."
    zh = load_dataset("zh_reviews")
    pick = np.random.default_rng(0).permutation(len(zh))[:900]
    rows = [(zh.x[i], zh.class_names[zh.y[i]]) for i in pick]
    for name, part in (("评价.csv", rows[:700]), ("held_out.csv", rows[700:])):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("评论", "情感"), *part])
    columns = ["--text-column", "评论", "--label-column", "情感"]
    trained = cli("train", "--dataset", tmp_path / "评价.csv", *columns, "--epochs", "3", "--quiet", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "\ntokens: characters (" in trained.stdout and "% of the letters are Chinese/Japanese characters)" in trained.stdout
    run = tmp_path / "runs" / "评价"
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["tokens"] == "chars" and config["class_names"] == ["正面", "负面"], config
    scored = cli("evaluate", "--run", run, "--dataset", tmp_path / "held_out.csv", *columns, "--json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert json.loads(scored.stdout)["accuracy"] > 0.65  # whitespace tokens gave chance (about 0.5)
    (tmp_path / "note.txt").write_text("质量太差了，完全不推荐，退货", encoding="utf-8")
    labelled = cli("predict", "--run", run, "--input", tmp_path / "note.txt", cwd=tmp_path)
    assert labelled.returncode == 0, labelled.stderr[-2000:]
    assert next(csv.DictReader((run / "predictions" / "note.csv").open(encoding="utf-8")))["prediction"] == "负面"

def test_npz_train_and_evaluate(tmp_path):
    d = load_dataset("digits")
    np.savez(tmp_path / "part1.npz", images=d.x[:900], labels=d.y[:900]); np.savez(tmp_path / "part2.npz", images=d.x[900:1200], labels=d.y[900:1200])
    assert cli("train", "--dataset", tmp_path / "part1.npz", *QUICK, cwd=tmp_path).returncode == 0
    scored = cli("evaluate", "--run", tmp_path / "runs" / "part1", "--dataset", tmp_path / "part2.npz", "--json", cwd=tmp_path)
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert json.loads(scored.stdout)["n_samples"] == 300

@pytest.mark.parametrize("content, words", [
    ("text,label\ngood film,pos\nbad film,\nfine,neg\nawful,  \n", "no label in column 'label' (empty or NaN) on line(s) 3, 5"),
    ("text,label\ngood film,1\nbad film,NaN\nfine,0\nawful,1\n", "on line(s) 3"),
    ("review,stars\ngood,5\n", "Name the right ones with --text-column and --label-column"),
    ("text,label\n,pos\n!!!,neg\n  ,pos\n\u3002\uff01,neg\n", "the text column 'text' holds no text (every cell is empty or punctuation)"),
])
def test_bad_label_columns_end_in_one_line(tmp_path, content, words):
    (tmp_path / "data.csv").write_text(content)
    assert_usage_error(cli("train", "--dataset", tmp_path / "data.csv", *QUICK, cwd=tmp_path, timeout=120), words)
    assert not (tmp_path / "runs").exists()
