"""tf.data delivery against training: how much faster the pipeline yields batches than a training step consumes them.

    python bench/pipeline.py [--batches 40]

For digits and mnist5k: the seconds per batch of iterating `to_tfdata` (cached, shuffled, prefetched; plain and with
`image_augmenter` in `map`) against the seconds per `train_on_batch` step of the preset model, measured in the same run.
"""
import argparse, os, statistics, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
from deepseek_nb.config import preset
from deepseek_nb.architecture import build_model
from deepseek_nb.data import load_dataset, to_tfdata
from deepseek_nb.augment import image_augmenter
from deepseek_nb.training import make_optimizer, resolve_loss

def per_batch(iterable, batches: int) -> float:
    it = iter(iterable); next(it)  # first batch pays for tracing
    start = time.perf_counter()
    for _ in range(batches): next(it)
    return (time.perf_counter() - start) / batches

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--batches", type=int, default=40)
    batches = parser.parse_args().batches
    print(f"{'data set':10s} {'pipeline':22s} {'ms/batch':>9s} {'train step ms':>14s} {'step / batch':>13s}")
    for name in ("digits", "mnist5k"):
        data = load_dataset(name); model_cfg, train_cfg = preset(name)
        train = data.splits(train_cfg.validation_fraction, train_cfg.test_fraction, seed=0).train
        model = build_model(model_cfg, adapt_data=train.x, seed=0)
        model.compile(optimizer=make_optimizer(train_cfg, 100), loss=resolve_loss(train_cfg, model_cfg.task, model_cfg.num_classes))
        batch_x, batch_y = train.x[:train_cfg.batch_size], train.y[:train_cfg.batch_size]
        model.train_on_batch(batch_x, batch_y)
        step = statistics.median(per_batch(iter(lambda: model.train_on_batch(batch_x, batch_y), None), batches) for _ in range(3))
        augment = image_augmenter(value_range=data.info["value_range"], seed=0)
        for label, aug in (("cached + prefetch", None), ("+ image_augmenter", augment)):
            pipe = to_tfdata(train, train_cfg.batch_size, shuffle=True, augment=aug).repeat()
            t = statistics.median(per_batch(pipe, batches) for _ in range(3))
            print(f"{name:10s} {label:22s} {1000 * t:9.2f} {1000 * step:14.2f} {step / t:13.1f}")

if __name__ == "__main__": main()
