import pytest
"""The Chinese walkthrough is the English one with translated prose: the same code cells, in the same order."""
import json
from pathlib import Path


NBS = Path(__file__).resolve().parent.parent / "nbs"

def _cells(name):
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads((NBS / name).read_text())["cells"]]

def test_chinese_walkthrough_has_the_same_code_cells():
    en, zh = _cells("10_walkthrough.ipynb"), _cells("10_walkthrough_zh.ipynb")
    assert [t for t, _ in en] == [t for t, _ in zh], "the two walkthroughs must have the same cell layout"
    assert [s for t, s in en if t == "code"] == [s for t, s in zh if t == "code"]
    prose = [s for t, s in zh if t == "markdown"]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in s) for s in prose), "every prose cell of the Chinese walkthrough is in Chinese"
