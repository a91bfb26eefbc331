"""A user's CSV of long documents, trained from the command line with no flags, against a bigram naive Bayes on the same split.

The documents are made here from the bundled sentence polarity data: each is about 700 words, 35 sentences drawn at random,
21 of them from its own class and 14 from the other, so the label is spread over the whole text (the first 50 tokens say
little). `deepseek-nb train --dataset docs.csv` must find a sequence length that covers the texts by itself.

    python bench/own_text.py [--docs 1500] [--seed 0]

Target (issue 12): the CLI run within 2 points of naive Bayes (word uni+bigrams) on the same test split, in a few minutes."""
import argparse, csv, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

def make_docs(path: Path, docs: int, seed: int):
    from deepseek_nb.data import load_dataset
    polarity = load_dataset("sentence_polarity")
    rng = np.random.default_rng(seed)
    by_class = [np.flatnonzero(polarity.y == c) for c in (0, 1)]
    with open(path, "w", newline="") as f:
        writer = csv.writer(f); writer.writerow(["text", "label"])
        for i in range(docs):
            label = i % 2
            picked = np.r_[rng.choice(by_class[label], 21, replace=False), rng.choice(by_class[1 - label], 14, replace=False)]
            writer.writerow([" ".join(polarity.x[j] for j in rng.permutation(picked)), polarity.class_names[label]])

def naive_bayes(data, cfg) -> dict:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    s = data.splits(cfg.validation_fraction, cfg.test_fraction, cfg.seed)
    out = {}
    for name, x, y in (("train", s.train.x, s.train.y), ("train+validation", np.r_[s.train.x, s.validation.x], np.r_[s.train.y, s.validation.y])):
        vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=1)
        model = MultinomialNB().fit(vectorizer.fit_transform(x), y)
        out[name] = float((model.predict(vectorizer.transform(s.test.x)) == s.test.y).mean())
    return out

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--docs", type=int, default=1500); parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    make_docs(folder / "docs.csv", args.docs, args.seed)
    exe = Path(sys.executable).with_name("deepseek-nb")
    started = time.perf_counter()
    result = subprocess.run([str(exe), "train", "--dataset", "docs.csv", "--quiet"], cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode: sys.exit(result.stderr[-3000:])
    run = folder / "runs" / "docs"
    metrics, config = json.loads((run / "metrics.json").read_text()), json.loads((run / "config.json").read_text())
    from deepseek_nb.data import load_dataset
    from deepseek_nb.config import TrainConfig
    nb = naive_bayes(load_dataset(folder / "docs.csv"), TrainConfig.from_dict(config["train"]))
    words = [len(t.split()) for t in load_dataset(folder / "docs.csv").x]
    print(f"{args.docs} documents, median {int(np.median(words))} words; `deepseek-nb train --dataset docs.csv` (no flags), {seconds:.0f} s wall")
    print(next(line for line in result.stdout.splitlines() if line.startswith("data:")))
    print(f"{'model':40s} {'test accuracy':>14s}")
    print(f"{'deepseek-nb (derived defaults)':40s} {metrics['test_accuracy']:14.4f}")
    for name, accuracy in nb.items(): print(f"{'naive Bayes uni+bigrams, fit on ' + name:40s} {accuracy:14.4f}")
    print(f"difference to naive Bayes (train+validation): {100 * (metrics['test_accuracy'] - nb['train+validation']):+.1f} points; "
          f"{metrics['epochs_run']} epochs, sequence length {config['model']['sequence_length']}, vocabulary {config['model']['vocab_size']}")

if __name__ == "__main__": main()
