"""Pruning, quantisation and TFLite export of the mnist5k preset model: size, gzip size, batch-1 latency, throughput
and test accuracy of every variant, as ratios against the float model measured in the same run, checked against the
targets of the optimisation stage.

    python bench/compress.py [--epochs 8] [--repeats 200]
"""
import argparse, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import pandas as pd
from deepseek_nb.config import preset, TrainConfig
from deepseek_nb.data import load_dataset
from deepseek_nb.training import train
from deepseek_nb.optimize import compress, sparsity_report

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8, help="fine-tuning epochs of the pruned models")
    parser.add_argument("--repeats", type=int, default=200, help="timed batch-1 calls per variant")
    args = parser.parse_args()
    data = load_dataset("mnist5k")
    model_cfg, train_cfg = preset("mnist5k")
    splits = data.splits(train_cfg.validation_fraction, train_cfg.test_fraction, train_cfg.seed)
    log = lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True)
    log("training the float model (mnist5k preset)")
    base = train(model_cfg, data, train_cfg, splits=splits)
    cfg = TrainConfig(learning_rate=5e-4, epochs=args.epochs, batch_size=64, patience=3)
    table, variants = compress(base.model, data, cfg=cfg, splits=splits, model_config=model_cfg, repeats=args.repeats, log=log)
    pd.set_option("display.width", 200)
    print(table.to_string())
    t = table
    checks = [
        ("80% unstructured: every pruned kernel >= 79.5% zeros", sparsity_report(variants["pruned_80"]).sparsity.min(), ">= 0.795",
         sparsity_report(variants["pruned_80"]).sparsity.min() >= 0.795),
        ("80% unstructured: accuracy drop (points)", t.loc["pruned_80", "accuracy_drop"], "<= 1.0", t.loc["pruned_80", "accuracy_drop"] <= 1.0),
        ("80% unstructured: gzip size / float", t.loc["pruned_80", "gzip_ratio"], "<= 0.40", t.loc["pruned_80", "gzip_ratio"] <= 0.40),
        ("structured half: params / float", t.loc["structured", "params"] / t.loc["float", "params"], "<= 0.55",
         t.loc["structured", "params"] <= 0.55 * t.loc["float", "params"]),
        ("structured half: TFLite float32 latency / float32", t.loc["tflite_structured_float32", "latency_ms"] / t.loc["tflite_float32", "latency_ms"],
         "<= 0.75", t.loc["tflite_structured_float32", "latency_ms"] <= 0.75 * t.loc["tflite_float32", "latency_ms"]),
        ("structured half: Keras (XLA) latency / float", t.loc["structured", "latency_ratio"], "(info)", True),
        ("structured half: accuracy drop (points)", t.loc["structured", "accuracy_drop"], "<= 1.5", t.loc["structured", "accuracy_drop"] <= 1.5),
        ("TFLite int8 size / TFLite float32", t.loc["tflite_int8", "bytes"] / t.loc["tflite_float32", "bytes"], "<= 0.30",
         t.loc["tflite_int8", "bytes"] <= 0.30 * t.loc["tflite_float32", "bytes"]),
        ("TFLite int8 accuracy drop vs float32 (points)", 100 * (t.loc["tflite_float32", "accuracy"] - t.loc["tflite_int8", "accuracy"]), "<= 0.5",
         t.loc["tflite_float32", "accuracy"] - t.loc["tflite_int8", "accuracy"] <= 0.005),
    ]
    print()
    print(f"{'target':52s} {'measured':>9s} {'wanted':>9s}  ok")
    for name, value, wanted, ok in checks: print(f"{name:52s} {value:9.3f} {wanted:>9s}  {'yes' if ok else 'NO'}")

if __name__ == "__main__": main()
