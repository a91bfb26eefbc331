"""`deepseek-nb audit` as a user runs it: the installed console script in a subprocess, on a bundled set and on a crafted .npz."""
import json
import numpy as np
import pytest
from conftest import cli, ROOT

pytestmark = pytest.mark.slow  # real commands training or compressing models: minutes

KEYS = {"n_samples", "class_counts", "exact_duplicates", "conflicting_duplicates", "non_finite", "sorted_labels", "suspected_label_errors"}

def _audit_json(*args, cwd=None):
    result = cli("audit", *args, "--json", cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)

def test_mnist5k_is_reported_sorted(tmp_path):
    report = _audit_json("--dataset", "mnist5k", cwd=tmp_path)
    assert KEYS <= set(report)
    assert report["sorted_labels"] is True and report["n_samples"] == 5000
    assert report["class_counts"] == {str(d): 500 for d in range(10)}
    assert report["exact_duplicates"] == [] and report["conflicting_duplicates"] == [] and report["non_finite"] == []
    assert all(isinstance(i, int) for i in report["suspected_label_errors"])

def _crafted(path):
    "120 distinct shuffled digits-like images, then: 7 = copy of 3, 50 = copy of 10 with another label, NaN in 20, inf in 90."
    with np.load(ROOT / "data" / "digits.npz") as f: images, labels = f["images"][:120].astype("float32"), f["labels"][:120].copy()
    images[7], labels[7] = images[3], labels[3]
    images[50], labels[50] = images[10], (labels[10] + 1) % 10
    images[20, 4, 4], images[90, 0, 0] = np.nan, np.inf
    np.savez(path, images=images, labels=labels)

def test_crafted_npz_reports_exact_indices(tmp_path):
    _crafted(tmp_path / "crafted.npz")
    report = _audit_json("--npz", tmp_path / "crafted.npz")
    assert KEYS <= set(report)
    assert report["n_samples"] == 120
    assert report["exact_duplicates"] == [7]
    assert report["conflicting_duplicates"] == [10, 50]
    assert report["non_finite"] == [20, 90]
    assert report["sorted_labels"] is False
    assert sum(report["class_counts"].values()) == 120

def test_table_output_and_bad_source(tmp_path):
    _crafted(tmp_path / "crafted.npz")
    table = cli("audit", "--npz", tmp_path / "crafted.npz", "--no-label-errors", timeout=300)
    assert table.returncode == 0, table.stderr[-3000:]
    assert "Audit of crafted (120 samples)" in table.stdout and "conflicting duplicates  check" in table.stdout
    missing = cli("audit", "--npz", tmp_path / "nowhere.npz", timeout=120)
    assert missing.returncode == 2 and "is not an existing .npz file" in missing.stderr and "Traceback" not in missing.stderr
    both = cli("audit", "--dataset", "digits", "--npz", tmp_path / "crafted.npz", timeout=120)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
