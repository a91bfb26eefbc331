"""Import time of deepseek_nb against TensorFlow's own, each in a fresh interpreter (median of N runs).

    python bench/import_time.py [--repeat 5]
"""
import argparse, statistics, subprocess, sys, time

STATEMENTS = {
    "import tensorflow (baseline)": "import tensorflow",
    "import keras": "import keras",
    "import deepseek_nb": "import deepseek_nb",
    "import deepseek_nb.config": "import deepseek_nb.config",
    "from deepseek_nb.architecture import build_model": "from deepseek_nb.architecture import build_model",
    "from deepseek_nb.training import train": "from deepseek_nb.training import train",
}

def timed(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": ""})
    return float(out.stdout.strip().splitlines()[-1])

def main():
    parser = argparse.ArgumentParser(); parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    results = {}
    for _ in range(repeat):  # interleave the statements so machine noise hits all alike
        for name, statement in STATEMENTS.items(): results.setdefault(name, []).append(timed(statement))
    base = statistics.median(results["import tensorflow (baseline)"])
    print(f"{'statement':52s} {'median s':>9s} {'x tensorflow':>13s}")
    for name, times in results.items():
        print(f"{name:52s} {statistics.median(times):9.3f} {statistics.median(times) / base:13.2f}")

if __name__ == "__main__": main()
