"""What a run folder costs: the default digits run done three ways, alternating, in the same process and run.

- plain Keras by hand: build, compile, fit, evaluate on the test split, save `model.keras` (the baseline);
- `train(..., out=None)`: the toolkit without a folder (best weights, early stopping, NaN guard, test metrics);
- `train(..., out=folder)`: with the run folder (lock, staging, backups at most every `backup_seconds`, config/history/metrics/curves/model).

    python bench/run_folder.py [--epochs 15] [--repeats 3]

Early stopping is off (patience 0) so each way trains the same number of epochs. Target (issue 14): run folder <= 1.05x plain Keras
with the default `backup_seconds` (30 s). The last line shows the per-epoch backup (`backup_seconds=0`) for comparison: what a kill
then loses is at most one epoch, at the price printed."""
import argparse, os, shutil, statistics, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from pathlib import Path

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--epochs", type=int, default=15); parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import keras
    from deepseek_nb.architecture import build_model
    from deepseek_nb.config import preset
    from deepseek_nb.data import load_dataset, to_tfdata
    from deepseek_nb.training import make_optimizer, train
    model_cfg, train_cfg = preset("digits")
    train_cfg = train_cfg.replace(epochs=args.epochs, patience=0)
    data = load_dataset("digits")
    splits = data.splits(train_cfg.validation_fraction, train_cfg.test_fraction, train_cfg.seed)
    scratch = Path(tempfile.mkdtemp())

    def plain():
        model = build_model(model_cfg, adapt_data=splits.train.x, seed=train_cfg.seed)
        train_data = to_tfdata(splits.train, train_cfg.batch_size, shuffle=True, seed=train_cfg.seed)
        model.compile(optimizer=make_optimizer(train_cfg, len(train_data)), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(train_data, validation_data=to_tfdata(splits.validation, train_cfg.batch_size), epochs=train_cfg.epochs, verbose=0, shuffle=False)
        model.evaluate(to_tfdata(splits.test, train_cfg.batch_size), verbose=0)
        model.save(scratch / "plain.keras")

    def folder(backup_seconds):
        def run():
            out = scratch / "run"
            shutil.rmtree(out, ignore_errors=True)
            train(model_cfg, data, train_cfg, out=out, backup_seconds=backup_seconds, splits=splits)
        return run

    ways = {"plain Keras": plain, "train(out=None)": lambda: train(model_cfg, data, train_cfg, splits=splits),
            "train(out=folder)": folder(30.0), "train(out=folder), backup every epoch": folder(0.0)}
    for way in ways.values(): way()  # warm up: imports, first tracing
    seconds = {name: [] for name in ways}
    for _ in range(args.repeats):
        for name, way in ways.items():
            started = time.perf_counter(); way(); seconds[name].append(time.perf_counter() - started)
    base = seconds["plain Keras"]
    print(f"digits preset, {args.epochs} epochs, {args.repeats} rounds (ways alternated within each round); ratio = median of per-round ratios")
    print(f"{'way':40s} {'median s':>9s} {'ratio':>7s}")
    for name, values in seconds.items():
        ratio = statistics.median(v / b for v, b in zip(values, base))
        print(f"{name:40s} {statistics.median(values):9.2f} {ratio:7.3f}")
    shutil.rmtree(scratch, ignore_errors=True)

if __name__ == "__main__": main()
