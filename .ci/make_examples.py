"""Make data/examples/: a user's own data, the way users bring it, cut from the bundled sets (run once; the files are committed).

- letters/train, letters/test: 16x16 PNG images of handwritten digits from mnist5k (MNIST, CC BY-SA 3.0), one folder per
  class named after the digit's word, 40 + 10 per class; letters/new: 5 unlabelled images to predict.
- reviews.csv (2,000 rows) and reviews_test.csv (500 rows): sentences of Pang & Lee's sentence polarity data (research use)
  in columns `review` and `sentiment` (negative / positive); new_review.txt: one review to label."""
import csv
from pathlib import Path
import numpy as np
from PIL import Image

root = Path(__file__).resolve().parent.parent
out = root / "data" / "examples"
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

def images():
    with np.load(root / "data" / "mnist5k.npz") as f: x, y = f["images"], f["labels"]
    rng = np.random.default_rng(0)
    for label in range(10):
        rows = rng.permutation(np.flatnonzero(y == label))
        for split, picked in (("train", rows[:40]), ("test", rows[40:50])):
            folder = out / "letters" / split / WORDS[label]; folder.mkdir(parents=True, exist_ok=True)
            for i in picked: Image.fromarray(x[i].astype("uint8")).resize((16, 16), Image.Resampling.LANCZOS).save(folder / f"{i}.png")
    (out / "letters" / "new").mkdir(parents=True, exist_ok=True)
    for i in rng.permutation(len(y))[:5]: Image.fromarray(x[i].astype("uint8")).resize((16, 16), Image.Resampling.LANCZOS).save(out / "letters" / "new" / f"{i}.png")

def reviews():
    with open(root / "data" / "sentence_polarity.csv", newline="", encoding="utf-8") as f: rows = list(csv.DictReader(f))
    rng = np.random.default_rng(0)
    picked = [rows[i] for i in rng.permutation(len(rows))[:2500]]
    names = {"0": "negative", "1": "positive"}
    for name, part in (("reviews.csv", picked[:2000]), ("reviews_test.csv", picked[2000:])):
        with open(out / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f); writer.writerow(["review", "sentiment"])
            writer.writerows([r["text"], names.get(r["label"], r["label"])] for r in part)
    (out / "new_review.txt").write_text("a warm , funny and beautifully acted film that stays with you long after it ends .\n")

if __name__ == "__main__":
    images(); reviews(); print(f"wrote {out}")
