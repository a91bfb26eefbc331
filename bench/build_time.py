"""Time to build each preset's hybrid model, against a plain two-layer Keras model built in the same run.

    python bench/build_time.py [--repeat 5]
"""
import argparse, os, statistics, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from deepseek_nb.config import PRESETS, preset
from deepseek_nb.architecture import build_model

def baseline():
    return keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])

def timed(make) -> float:
    t = time.perf_counter(); make(); return time.perf_counter() - t

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    builders = {"plain Dense model (baseline)": baseline}
    builders.update({f"build_model({name})": (lambda n=name: build_model(preset(n)[0])) for name in PRESETS})
    for make in builders.values(): make()  # warm-up: first builds pay for tracing and imports
    results = {name: [] for name in builders}
    for _ in range(repeat):
        for name, make in builders.items(): results[name].append(timed(make))
    base = statistics.median(results["plain Dense model (baseline)"])
    print(f"{'model':34s} {'params':>8s} {'median ms':>10s} {'x baseline':>11s}")
    for name, times in results.items():
        params = builders[name]().count_params()
        print(f"{name:34s} {params:8,d} {1000 * statistics.median(times):10.1f} {statistics.median(times) / base:11.1f}")

if __name__ == "__main__": main()
