"""Nothing misread: the loader reads the user's files as they are or refuses them in one line (issue 27, the data side).

One test per rule: 16-bit images keep their values, missing-value markers are missing labels, text files that cannot be
read are refused naming the file, the toolkit's own folders are never data, only regular files are inputs (a FIFO never
hangs a command), a huge or NUL-filled CSV is refused before it is read, extensions count in any case, and a CSV with a
header but no rows is refused for predict."""
import json, os, re, struct, subprocess, sys, time, warnings, zlib
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import cli, assert_usage_error, scaled
from deepseek_nb.data import load_dataset, from_arrays, read_inputs
from deepseek_nb.runs import mark

def _png16(path: Path, values) -> Path:
    "A 16-bit PNG of `values` (height, width) grey or (height, width, 3) colour; Pillow cannot write 16-bit colour."
    values = np.asarray(values, ">u2")
    height, width = values.shape[:2]
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 16, 0 if values.ndim == 2 else 2, 0, 0, 0)
    rows = b"".join(b"\x00" + values[r].tobytes() for r in range(height))  # filter 0 before each row
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path

def _warned(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always"); result = action()
    return result, [str(w.message) for w in caught]

def _csv(path: Path, text: str) -> Path:
    path.write_text(text); return path

# 12. 16-bit images are scaled by their bit depth, not clipped to black and white
def test_16_bit_pngs_keep_their_values_scaled_to_8_bits(tmp_path):
    grey = np.array([[0, 1000, 30000, 50000, 65535]], "uint16")
    colour = np.stack([grey, grey[:, ::-1], np.full_like(grey, 32768)], -1)
    Image.fromarray(grey).save((tmp_path / "scans" / "a").mkdir(parents=True) or tmp_path / "scans" / "a" / "grey.png")
    _png16(tmp_path / "scans" / "b" / "grey.png", grey)
    expected = np.rint(grey / 65535 * 255)  # [0, 4, 117, 195, 255]
    ds = load_dataset(tmp_path / "scans")
    assert ds.info["color_mode"] == "grayscale" and np.array_equal(ds.x, np.stack([expected, expected]))
    assert np.array_equal(read_inputs(tmp_path / "scans" / "a" / "grey.png", "image", (1, 5))[0][0], expected)
    _png16(tmp_path / "scans" / "b" / "colour.png", colour)  # a colour image: the folder loads as RGB
    rgb = load_dataset(tmp_path / "scans")
    assert rgb.info["color_mode"] == "rgb"
    at = lambda name: rgb.x[rgb.sources.index(str(tmp_path / "scans" / name))]
    assert np.array_equal(at("a/grey.png"), np.repeat(expected[..., None], 3, -1))  # grey into RGB: scaled too
    assert np.abs(at("b/colour.png") - colour / 65535 * 255).max() <= 1  # 16-bit colour: 8 bits, scaled

# 13. NaN, null, N/A, None in a column of words are missing labels, not classes
def test_missing_value_markers_in_a_word_label_column_are_refused_with_their_lines(tmp_path):
    rows = ["good film,pos", "bad film,neg", "meh,NaN", "fine,pos", "awful,null", "ok,N/A", "dull,None", "great,", "poor,neg"]
    path = _csv(tmp_path / "words.csv", "text,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(ValueError) as e: load_dataset(path)
    assert str(e.value) == ("words.csv: no label in column 'label' (empty or NaN) on line(s) 4, 6, 7, 8, 9 (read as missing: "
                            "'N/A', 'NaN', 'None', 'null'; a class named like that needs another name); fill them in or "
                            "remove those rows")
    with pytest.raises(ValueError, match=r"^y of 'arrays': label missing at index 1, 3 \(read as missing: 'None', 'nan'"):
        from_arrays(np.zeros((4, 8, 8)), np.array(["cat", None, "dog", float("nan")], dtype=object))
    assert_usage_error(cli("audit", "--dataset", path, "--no-label-errors", cwd=tmp_path, timeout=120),
                       "words.csv: no label in column 'label' (empty or NaN) on line(s) 4, 6, 7, 8, 9")

# 14. text files the model cannot read are refused naming the file; .TXT is a text file; hidden folders are skipped
def test_text_files_that_cannot_be_read_are_refused_naming_the_file(tmp_path):
    new = tmp_path / "new"; (new / ".ipynb_checkpoints").mkdir(parents=True)
    (new / "a.TXT").write_text("a fine film")
    (new / ".ipynb_checkpoints" / "a-checkpoint.txt").write_text("an older copy")
    (new / "b.txt").write_bytes("un film très réussi".encode("utf-16"))  # UTF-16 with its byte-order mark: decoded
    texts, sources = read_inputs(new, "text")
    assert (texts.tolist(), sources) == (["a fine film", "un film très réussi"], [str(new / "a.TXT"), str(new / "b.txt")])
    (tmp_path / "unicode.csv").write_bytes("text,label\nun bon film,pos\nun film raté,neg\n".encode("utf-16"))  # CSVs alike
    assert load_dataset(tmp_path / "unicode.csv").x.tolist() == ["un bon film", "un film raté"]
    bad = {"empty.txt": b"", "blank.txt": b" \n\t\n", "random.txt": bytes(np.random.default_rng(0).integers(1, 256, 4096, "uint8")),
           "utf16.txt": "un film très réussi".encode("utf-16-le")}  # no byte-order mark: NUL bytes between the letters
    words = {"empty.txt": "empty.txt is empty (0 bytes)", "blank.txt": "blank.txt holds no text, only white space",
             "random.txt": "random.txt is not utf-8 text (byte", "utf16.txt": "utf16.txt holds NUL bytes: a binary or sparse file"}
    for name, content in bad.items():
        (new / name).write_bytes(content)
        with pytest.raises(ValueError) as e: read_inputs(new, "text")
        assert str(new / name) in str(e.value) and words[name] in str(e.value) and "\n" not in str(e.value), str(e.value)
        with pytest.raises(ValueError, match=re.escape(words[name])): read_inputs(new / name, "text")
        (new / name).unlink()

# 16. folders the toolkit made are never read as data, at any depth
def test_toolkit_folders_inside_the_data_folder_are_never_data(tmp_path):
    data = tmp_path / "mydata"
    for label in ("cat", "dog"):
        for k in range(3): Image.new("L", (8, 8), 40 * k).save((data / label).mkdir(parents=True, exist_ok=True) or data / label / f"{k}.png")
    for run in (data / "runs" / "mydata", data / "cat" / "old" / "runs" / "r1"):  # a run folder, and one deeper down
        mark(run, command=["train"]); Image.new("L", (20, 10)).save(run / "curves.png"); (run / "notes.txt").write_text("run")
    (data / "runs" / "legacy").mkdir(); (data / "runs" / "legacy" / "config.json").write_text(json.dumps(dict(dataset="x", model={}, train={})))
    Image.new("L", (20, 10)).save(data / "runs" / "legacy" / "curves.png")  # a run from before the marker
    ds = load_dataset(data)
    assert (ds.class_names, len(ds)) == (["cat", "dog"], 6), ds.sources
    assert len(read_inputs(data, "image", (8, 8))[1]) == 6
    (data / "a.txt").write_text("mine")
    assert read_inputs(data, "text")[1] == [str(data / "a.txt")]
    for run in (data / "runs" / "mydata", data / "runs" / "legacy"):
        with pytest.raises(ValueError, match="is a folder deepseek-nb made"): load_dataset(run)
        with pytest.raises(ValueError, match="is a folder deepseek-nb made"): read_inputs(run, "image", (8, 8))

# 20. only regular files are inputs: a FIFO named like one is skipped in a folder (with a note) and refused when named
FIFO_CHECKS = r"""
import json, os, sys, warnings
from pathlib import Path
from deepseek_nb.data import load_dataset, read_inputs
d = Path(sys.argv[1]); out = {}
def attempt(name, action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try: out[name] = ["ok", str(action()), [str(w.message) for w in caught]]
        except ValueError as e: out[name] = ["refused", str(e), [str(w.message) for w in caught]]
attempt("folder", lambda: len(load_dataset(d / "pets")))
attempt("predict_folder", lambda: read_inputs(d / "texts", "text")[1])
attempt("csv", lambda: load_dataset(d / "s.csv"))
attempt("predict_csv", lambda: read_inputs(d / "s.csv", "text"))
attempt("predict_txt", lambda: read_inputs(d / "texts" / "b.txt", "text"))
print(json.dumps(out))
"""

def test_a_fifo_named_like_an_input_never_hangs(tmp_path):
    for label in ("cat", "dog"):
        for k in range(2): Image.new("L", (8, 8), 50 * k).save((tmp_path / "pets" / label).mkdir(parents=True, exist_ok=True) or tmp_path / "pets" / label / f"{k}.png")
    os.mkfifo(tmp_path / "pets" / "cat" / "zz.png")
    (tmp_path / "texts").mkdir(); (tmp_path / "texts" / "a.txt").write_text("a fine film"); os.mkfifo(tmp_path / "texts" / "b.txt")
    os.mkfifo(tmp_path / "s.csv")
    done = subprocess.run([sys.executable, "-c", FIFO_CHECKS, str(tmp_path)], capture_output=True, text=True, timeout=scaled(60))
    out = json.loads(done.stdout)
    assert out["folder"] == ["ok", "4", [f"{tmp_path / 'pets'}: skipped what is not a regular file: cat/zz.png (a FIFO)"]], out
    assert out["predict_folder"] == ["ok", str([str(tmp_path / "texts" / "a.txt")]),
                                     [f"{tmp_path / 'texts'}: skipped what is not a regular file: b.txt (a FIFO)"]], out
    for name, shown in (("csv", tmp_path / "s.csv"), ("predict_csv", tmp_path / "s.csv"), ("predict_txt", tmp_path / "texts" / "b.txt")):
        assert out[name] == ["refused", f"{shown} is a FIFO, not a regular file: deepseek-nb reads data only from files", []], out
    assert_usage_error(cli("train", "--dataset", "s.csv", cwd=tmp_path, timeout=60), "s.csv is a FIFO, not a regular file")

# 21. a huge or NUL-filled CSV is refused before it is read
def test_a_sparse_or_too_large_csv_is_refused_before_reading(tmp_path):
    sparse = _csv(tmp_path / "s.csv", "text,label\n")
    os.truncate(sparse, 2**28)  # 256 MB of NUL bytes that take no disk space (the was 2 GB)
    started = time.monotonic()
    with pytest.raises(ValueError) as e: load_dataset(sparse)
    assert str(e.value) == "s.csv holds NUL bytes: a binary or sparse file, not CSV text; save it as UTF-8 text"
    assert time.monotonic() - started < scaled(2)
    with pytest.raises(ValueError, match="s.csv holds NUL bytes"): read_inputs(sparse, "text")
    big = _csv(tmp_path / "big.csv", "text,label\n" + "".join(f"review {k},{k % 2}\n" for k in range(1000)))
    with pytest.raises(ValueError) as e: load_dataset(big, memory_limit=10**5)
    assert str(e.value) == ("big.csv is 12.9 KB: reading it takes about 426.2 KB of memory, more than 100.0 KB (the limit given);"
                            " use a part of it, or a machine with more memory")
    assert len(load_dataset(big, memory_limit=10**6)) == 1000
    result = cli("train", "--dataset", sparse, cwd=tmp_path, timeout=60)
    assert_usage_error(result, "s.csv holds NUL bytes")

# 23. extensions count in any case
def test_extensions_are_case_insensitive(tmp_path):
    upper = _csv(tmp_path / "X.CSV", "text,label\ngood,pos\nbad,neg\n")
    assert load_dataset(upper).class_names == ["neg", "pos"]
    np.savez(tmp_path / "arrays.npz", x=np.zeros((4, 8, 8)), y=np.array([0, 1, 0, 1]))
    (tmp_path / "arrays.npz").rename(tmp_path / "A.NPZ")
    assert len(load_dataset(tmp_path / "A.NPZ")) == 4
    for label, suffix in (("cat", ".PNG"), ("dog", ".JPG")):
        Image.new("L", (8, 8), 9).save((tmp_path / "pets" / label).mkdir(parents=True) or tmp_path / "pets" / label / f"one{suffix}",
                                       format="PNG" if suffix == ".PNG" else "JPEG")
    assert load_dataset(tmp_path / "pets").class_names == ["cat", "dog"]
    assert read_inputs(upper, "text")[0].tolist() == ["good", "bad"]

# 22 (the loader's part). a CSV with a header but no rows is refused for predict
def test_a_header_only_csv_for_predict_is_refused(tmp_path):
    for name, content in (("header.csv", "text\n"), ("blank_rows.csv", "id,text\n,\n\n")):
        with pytest.raises(ValueError) as e: read_inputs(_csv(tmp_path / name, content), "text")
        assert str(e.value) == f"{name} has a header but no rows: there is nothing to predict"
    with pytest.raises(ValueError, match=r"^empty.csv is empty \(0 bytes\): it holds no CSV text$"):
        read_inputs(_csv(tmp_path / "empty.csv", ""), "text")
