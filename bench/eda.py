"""EDA throughput: sentences per second with one augmentation each, on one core, against tokenising and re-joining the same sentences.

    python bench/eda.py [--repeat 5]
"""
import argparse, random, statistics, time
from deepseek_nb.data import load_dataset
from deepseek_nb.augment import eda, synonyms

def rate(fn, texts) -> float:
    start = time.perf_counter()
    for t in texts: fn(t)
    return len(texts) / (time.perf_counter() - start)

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    texts = [str(t) for t in load_dataset("sentence_polarity").x]
    synonyms()  # load the table once, outside the timing
    rng = random.Random(0)
    jobs = {"split + join (baseline)": lambda t: " ".join(t.split()),
            "eda, 1 augmentation": lambda t: eda(t, 1, rng=rng)}
    results = {name: statistics.median(rate(fn, texts) for _ in range(repeat)) for name, fn in jobs.items()}
    base = results["split + join (baseline)"]
    print(f"{len(texts)} sentences of sentence_polarity, median of {repeat} passes, one process")
    print(f"{'job':28s} {'sentences/s':>12s} {'x baseline':>11s}")
    for name, r in results.items(): print(f"{name:28s} {r:12,.0f} {r / base:11.3f}")
    print(f"target >= 20,000 sentences/s: {'met' if results['eda, 1 augmentation'] >= 20000 else 'NOT met'}")

if __name__ == "__main__": main()
