"""Test accuracy of the documented presets on the bundled data sets, against published anchors and simple
baselines computed here, in the same run, on the same test split.

    python bench/accuracy.py [--only digits mnist5k ...]
    python bench/accuracy.py --folds 10 [--only sentence_polarity zh_reviews] [--run-folds 0 1 2]

`--folds K`: a text preset (sentence_polarity unless --only names text sets) under stratified K-fold
cross-validation (shuffle seed 0) on the whole set, the way the published figures were measured, beside naive Bayes
on uni+bigrams and tf-idf logistic regression fitted on the same folds (words for sentence_polarity, characters
for zh_reviews: the toolkit's `tokenize(text, "chars")`). Each fold's training part gives the preset its
validation split (for early stopping); the baselines fit on the whole training part. Targets: sentence_polarity
(issue 14) a mean >= 76.1 % (Kim 2014, CNN with random embeddings) and within 1 point of naive Bayes on the same
folds; zh_reviews (issue 23) a mean within 1 point of naive Bayes on character uni+bigrams on the same folds, or
above it.

Targets (issue 4): digits >= 98.5 %, mnist5k >= 97.5 %, sentence_polarity >= 75 % (Kim 2014: 76.1 % for a CNN
with random embeddings), sunspots test RMSE below persistence and a least-squares AR(9) on the same final years;
zh_reviews (issue 23) within 1 point of naive Bayes on character uni+bigrams on the same test split (one split
of 600 reviews is noisy: the 10-fold figure is the one that counts)."""
import argparse, functools, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np

TARGETS = dict(digits=0.985, mnist5k=0.975, sentence_polarity=0.75)
TEXT_BASELINES = dict(  # per text set: (naive Bayes, logistic regression), the labels its tables print
    sentence_polarity=("naive Bayes, word bigrams", "logistic regression, bigram tf-idf"),
    zh_reviews=("naive Bayes, char uni+bigrams", "logistic regression, char uni+bigram tf-idf"))

def text_baselines(name: str) -> dict:
    "Naive Bayes and tf-idf logistic regression on uni+bigrams of `name`'s tokens (words, or characters for zh_reviews)."
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline
    from deepseek_nb.tokens import tokenize
    tokens = dict(ngram_range=(1, 2))
    if name == "zh_reviews": tokens.update(tokenizer=functools.partial(tokenize, tokens="chars"), lowercase=False, token_pattern=None)
    nb, lr = TEXT_BASELINES[name]
    return {nb: make_pipeline(CountVectorizer(**tokens), MultinomialNB()),
            lr: make_pipeline(TfidfVectorizer(**tokens, sublinear_tf=True), LogisticRegression(C=10, max_iter=1000))}

def baseline(name, splits):
    "Simple models on the same splits (fitted on training + validation): SVC for images, linear bigram models for text, persistence and AR(9) for series."
    fit_x = np.concatenate([splits.train.x, splits.validation.x]); fit_y = np.concatenate([splits.train.y, splits.validation.y])
    test = splits.test
    if name in TEXT_BASELINES:
        return {label: model.fit(fit_x.astype(str), fit_y).score(test.x.astype(str), test.y) for label, model in text_baselines(name).items()}
    if name == "sunspots":
        persistence = np.sqrt(np.mean((test.x[:, -1] - test.y) ** 2))
        design = lambda x: np.column_stack([x[:, -9:], np.ones(len(x))])
        coef, *_ = np.linalg.lstsq(design(fit_x), fit_y, rcond=None)
        ar9 = np.sqrt(np.mean((design(test.x) @ coef - test.y) ** 2))
        return {"persistence": persistence, "AR(9) least squares": ar9}
    from sklearn.svm import SVC
    flat = lambda x: x.reshape(len(x), -1) / x.max()
    return {"SVC (rbf)": SVC().fit(flat(fit_x), fit_y).score(flat(test.x), test.y)}

PUBLISHED = dict(  # per text set: published figures, and figures measured on the same folds before (data/README.md)
    sentence_polarity={"Kim (2014) CNN-rand (published)": 0.761, "NB-SVM bigrams (Wang & Manning 2012) (published)": 0.794},
    zh_reviews={"naive Bayes, raw char uni+bigrams (data/README.md)": 0.762})

def cross_validate(folds: int, run_folds=None, name: str = "sentence_polarity"):
    "The preset and the text baselines on the same stratified `folds`-fold split (shuffle seed 0); 0 if the targets hold."
    baselines = TEXT_BASELINES[name]
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from deepseek_nb.config import preset
    from deepseek_nb.data import load_dataset, Split, Splits
    from deepseek_nb.training import train
    model_cfg, train_cfg = preset(name)
    data = load_dataset(name)
    folds_of = StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(data)), data.y)
    print(f"{name}: {len(data):,} texts, stratified {folds}-fold cross-validation (shuffle seed 0); "
          f"validation for early stopping: {train_cfg.validation_fraction:.0%} of each training part")
    print(f"{'fold':>4} {'preset':>8} {'naive Bayes':>11} {'log. reg.':>9} {'epochs':>6} {'seconds':>7}")
    rows = []
    for fold, (rest, test) in enumerate(folds_of):
        if run_folds and fold not in run_folds: continue
        train_idx, val_idx = train_test_split(rest, test_size=train_cfg.validation_fraction, stratify=data.y[rest], random_state=train_cfg.seed)
        part = lambda i: Split(data.x[i], data.y[i], i)
        splits = Splits(part(np.sort(train_idx)), part(np.sort(val_idx)), part(test))
        base = baseline(name, splits)
        started = time.perf_counter()
        run = train(model_cfg, data, train_cfg, splits=splits)
        seconds = time.perf_counter() - started
        rows.append(dict(preset=run.metrics["test_accuracy"], **base, epochs=run.metrics["epochs_run"], seconds=seconds))
        print(f"{fold:>4} {rows[-1]['preset']:>8.2%} {base[baselines[0]]:>11.2%} {base[baselines[1]]:>9.2%} "
              f"{rows[-1]['epochs']:>6} {seconds:>7.1f}", flush=True)
    mean = lambda key: float(np.mean([r[key] for r in rows]))
    ours, nb = mean("preset"), mean(baselines[0])
    print(f"mean {ours:>8.2%} {nb:>11.2%} {mean(baselines[1]):>9.2%} {mean('epochs'):>6.1f} {mean('seconds'):>7.1f}"
          f"   (preset: std {np.std([r['preset'] for r in rows]):.2%} over {len(rows)} folds)")
    references = {**{f"{k} (same folds)": mean(k) for k in baselines}, **PUBLISHED[name]}
    wide = max(50, *map(len, references))
    print(f"\n{'reference':{wide}} {'accuracy':>8} {'preset - it':>11} {'preset / it':>11}")
    for label, value in references.items():
        print(f"{label:{wide}} {value:>8.2%} {100 * (ours - value):>+8.2f} pt {ours / value:>11.3f}")
    kim = PUBLISHED["sentence_polarity"]["Kim (2014) CNN-rand (published)"]
    ok = ours >= nb - 0.01 and (name != "sentence_polarity" or ours >= kim)
    wanted = f"mean >= {kim:.1%} and within" if name == "sentence_polarity" else "mean within"
    print(f"\ntarget: {wanted} 1 point of naive Bayes or above it (>= {nb - 0.01:.2%}): "
          f"{'met' if ok else 'MISSED'}" + ("" if len(rows) == folds else f" (on {len(rows)} of {folds} folds only)"))
    return 0 if ok else 1

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--folds", type=int, help="cross-validate a text preset (the --only text sets, default sentence_polarity) on this many stratified folds")
    parser.add_argument("--run-folds", type=int, nargs="*", help="with --folds: run only these folds (0-based), for tuning")
    args = parser.parse_args()
    only = args.only
    if args.folds:
        names = only or ["sentence_polarity"]
        if set(names) - set(TEXT_BASELINES): parser.error(f"--folds cross-validates the text sets {', '.join(TEXT_BASELINES)}. Received: --only {' '.join(names)}")
        sys.exit(max(cross_validate(args.folds, args.run_folds, name) for name in names))
    from deepseek_nb.config import preset
    from deepseek_nb.data import load_dataset
    from deepseek_nb.training import train
    print(f"{'data set':18} {'model':>9} {'target':>14} {'epochs':>6} {'seconds':>7}  baselines (same test split)")
    failed = []
    for name in ("digits", "mnist5k", "sentence_polarity", "zh_reviews", "sunspots"):
        if only and name not in only: continue
        model_cfg, train_cfg = preset(name)
        data = load_dataset(name)
        splits = data.splits(train_cfg.validation_fraction, train_cfg.test_fraction, train_cfg.seed)
        base = baseline(name, splits)
        started = time.perf_counter()
        run = train(model_cfg, data, train_cfg, splits=splits)
        seconds = time.perf_counter() - started
        m = run.metrics
        if name == "sunspots":
            score, target, ok = f"{m['test_rmse']:.2f}", f"RMSE < {min(base.values()):.2f}", m["test_rmse"] < min(base.values())
            shown = ", ".join(f"{k} {v:.2f}" for k, v in base.items())
        elif name not in TARGETS:  # judged against naive Bayes on the same split
            nb = base[TEXT_BASELINES[name][0]]
            score, target, ok = f"{m['test_accuracy']:.2%}", f">= NB-1 {nb - 0.01:.1%}", m["test_accuracy"] >= nb - 0.01
            shown = ", ".join(f"{k} {v:.2%}" for k, v in base.items())
        else:
            score, target, ok = f"{m['test_accuracy']:.2%}", f">= {TARGETS[name]:.1%}", m["test_accuracy"] >= TARGETS[name]
            shown = ", ".join(f"{k} {v:.2%}" for k, v in base.items())
        if not ok: failed.append(name)
        print(f"{name:18} {score:>9} {target:>14} {m['epochs_run']:>6} {seconds:>7.1f}  {shown}{'' if ok else '  MISSED'}", flush=True)
    print(f"test split: {preset('digits')[1].test_fraction:.0%} of each classification set (stratified, seed 0); "
          f"sunspots: the last {preset('sunspots')[1].test_fraction:.0%} of the years")
    sys.exit(1 if failed else 0)

if __name__ == "__main__": main()
