"""LiveCurves overhead: the same model and data trained with a bare `model.fit` and with `LiveCurves` (one redraw per
epoch, as in a script: the PNG written at each epoch's end; and as in a notebook at its default of at most 2 redraws a
second, into a display handle), alternating, in the same run.

    python bench/live_curves.py [--epochs 4] [--repeats 3]

Target (issue 4): at one redraw per epoch, LiveCurves costs at most 3 % of training wall time (ratio <= 1.03)."""
import argparse, os, statistics, tempfile, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from pathlib import Path

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--epochs", type=int, default=4); parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import keras
    from deepseek_nb.architecture import build_model
    from deepseek_nb.config import preset
    from deepseek_nb.data import load_dataset, to_tfdata
    from deepseek_nb.curves import LiveCurves
    from deepseek_nb.training import make_optimizer
    model_cfg, train_cfg = preset("mnist5k")
    data = load_dataset("mnist5k")
    splits = data.splits(train_cfg.validation_fraction, train_cfg.test_fraction, train_cfg.seed)
    train_data = to_tfdata(splits.train, train_cfg.batch_size, shuffle=True, seed=0)
    val_data = to_tfdata(splits.validation, train_cfg.batch_size)
    folder = Path(tempfile.mkdtemp())

    def fit(callbacks):
        "Seconds of `fit` over the timed epochs, and seconds spent drawing inside LiveCurves."
        model = build_model(model_cfg, adapt_data=splits.train.x, seed=0)
        model.compile(optimizer=make_optimizer(train_cfg, len(train_data)), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(train_data, validation_data=val_data, epochs=1, verbose=0, shuffle=False)  # compile the step functions outside the timing
        started = time.perf_counter()
        model.fit(train_data, validation_data=val_data, epochs=args.epochs, callbacks=callbacks, verbose=0, shuffle=False)
        return time.perf_counter() - started, sum(getattr(c, "draw_seconds", 0.0) for c in callbacks)

    class Handle:  # stands in for IPython's display handle: receives the image, shows nothing
        def update(self, image): pass
    def notebook_curves():
        live = LiveCurves(notebook=True); live._handle = Handle(); return live

    variants = {"bare model.fit": lambda: [], "LiveCurves, 1 redraw/epoch (script, PNG file)": lambda: [LiveCurves(folder / "curves.png", notebook=False)],
                "LiveCurves, <= 2 redraws/s (notebook)": lambda: [notebook_curves()]}
    times = {name: [] for name in variants}
    for _ in range(args.repeats):  # alternate, so load changes on the machine hit every variant alike
        for name, make in variants.items(): times[name].append(fit(make()))
    base = min(t for t, _ in times["bare model.fit"])
    print(f"mnist5k preset model, {len(splits.train)} training images, {len(train_data)} batches/epoch, {args.epochs} epochs; "
          f"best of {args.repeats} alternating runs")
    print(f"{'variant':48} {'seconds':>8} {'ratio':>6} {'drawing share':>14}")
    for name, values in times.items():
        best, drawing = min(values)
        share = statistics.median(d / t for t, d in values)
        print(f"{name:48} {best:8.2f} {best / base:6.3f} {share:13.1%}")
    ratio = min(t for t, _ in times["LiveCurves, 1 redraw/epoch (script, PNG file)"]) / base
    print(f"target: ratio at one redraw per epoch <= 1.03: {'met' if ratio <= 1.03 else 'MISSED'} ({ratio:.3f}); "
          "'drawing share' is the time spent inside LiveCurves' redraws over the fit time (less sensitive to the load of a shared machine)")

if __name__ == "__main__": main()
