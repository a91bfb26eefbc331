"""Pruning, quantisation and TFLite export of the mnist5k preset model: size, gzip size, batch-1 latency, throughput
and test accuracy of every variant, as ratios against the float model measured in the same run, checked against the
targets of the optimisation stage. Latency ratios compare variants run by the same runtime (the table's `runtime` column:
keras+xla for Keras models, litert for .tflite files), as the median over interleaved rounds of the per-round ratio.

    python bench/compress.py [--epochs 8] [--repeats 500]
"""
import argparse, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import pandas as pd
from deepseek_nb.config import preset, TrainConfig
from deepseek_nb.data import load_dataset
from deepseek_nb.training import train
from deepseek_nb.optimize import compress, sparsity_report, in_graph_latency

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8, help="fine-tuning epochs of the pruned models")
    parser.add_argument("--repeats", type=int, default=500, help="timed batch-1 calls per variant (interleaved rounds)")
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
    log("timing the Keras models' arithmetic in-graph")
    compute = in_graph_latency(dict(float=variants["float"], structured=variants["structured"]), splits.test.x)
    checks = [
        ("80% unstructured: every pruned kernel >= 79.5% zeros", sparsity_report(variants["pruned_80"]).sparsity.min(), ">= 0.795",
         sparsity_report(variants["pruned_80"]).sparsity.min() >= 0.795),
        ("80% unstructured: accuracy drop (points)", t.loc["pruned_80", "accuracy_drop"], "<= 1.0", t.loc["pruned_80", "accuracy_drop"] <= 1.0),
        ("80% unstructured: gzip size / float", t.loc["pruned_80", "gzip_ratio"], "<= 0.40", t.loc["pruned_80", "gzip_ratio"] <= 0.40),
        ("structured half: params / float", t.loc["structured", "params"] / t.loc["float", "params"], "<= 0.55",
         t.loc["structured", "params"] <= 0.55 * t.loc["float", "params"]),
        ("structured half: batch-1 latency / float, litert", t.loc["tflite_structured_float32", "latency_ratio"], "<= 0.75",
         t.loc["tflite_structured_float32", "latency_ratio"] <= 0.75),
        ("structured half: batch-1 latency / float, keras+xla", t.loc["structured", "latency_ratio"], "<= 0.75",
         t.loc["structured", "latency_ratio"] <= 0.75),
        ("  the same, arithmetic only (in-graph, keras+xla)", compute["structured"] / compute["float"], "(info)", True),
        ("structured half: accuracy drop (points)", t.loc["structured", "accuracy_drop"], "<= 1.5", t.loc["structured", "accuracy_drop"] <= 1.5),
        ("TFLite int8 size / TFLite float32", t.loc["tflite_int8", "bytes"] / t.loc["tflite_float32", "bytes"], "<= 0.30",
         t.loc["tflite_int8", "bytes"] <= 0.30 * t.loc["tflite_float32", "bytes"]),
        ("TFLite int8 accuracy drop vs float32 (points)", 100 * (t.loc["tflite_float32", "accuracy"] - t.loc["tflite_int8", "accuracy"]), "<= 0.5",
         t.loc["tflite_float32", "accuracy"] - t.loc["tflite_int8", "accuracy"] <= 0.005),
    ]
    print()
    print(f"{'target':52s} {'measured':>9s} {'wanted':>9s}  ok")
    for name, value, wanted, ok in checks: print(f"{name:52s} {value:9.3f} {wanted:>9s}  {'yes' if ok else 'NO'}")
    seconds = table.attrs["latency_seconds"]
    print()
    for variant, reference in (("tflite_structured_float32", "tflite_float32"), ("structured", "float")):
        q1, q3 = np.percentile(seconds[variant] / seconds[reference], [25, 75])
        print(f"{variant} / {reference} ({table.loc[variant, 'runtime']}): per-round ratios, quartiles {q1:.3f} to {q3:.3f} over {len(seconds[variant])} rounds")
    print(f"keras+xla float call: {table.loc['float', 'latency_ms']:.3f} ms end-to-end, {compute['float']:.3f} ms of arithmetic in-graph; "
          f"load average over the last minute: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

if __name__ == "__main__": main()
