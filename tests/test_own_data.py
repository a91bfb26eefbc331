"""A user's own data: image folders, CSV files and arrays as they come, with the exact message for each bad input,
where each sample came from (`sources`), defaults derived from the data, and the audit on real files."""
import contextlib, json, warnings
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import cli, assert_usage_error
from deepseek_nb.config import preset
from deepseek_nb.data import (load_dataset, from_arrays, audit, clean, near_duplicates, train_test_overlap, text_defaults,
                              MAX_SEQUENCE_LENGTH, MAX_VOCABULARY, MAX_IMAGE_SIDE)

def _png(path: Path, size=(10, 12), mode="L", value=0, noise_seed=None):
    "An image of `size` (width, height); noisy (a long PNG) when `noise_seed` is given."
    path.parent.mkdir(parents=True, exist_ok=True)
    if noise_seed is None: Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)
    else:
        shape = (size[1], size[0]) + (() if mode == "L" else (len(mode),))
        Image.fromarray(np.random.default_rng(noise_seed).integers(0, 255, shape, dtype="uint8"), mode).save(path)
    return path

@pytest.fixture
def pets(tmp_path) -> Path:
    "cat/ and dog/ with three 10x12 grey images each."
    for label in ("cat", "dog"):
        for k in range(3): _png(tmp_path / "pets" / label / f"{k}.png", value=40 * k + (label == "dog"))
    return tmp_path / "pets"

def _warned(action):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always"); result = action()
    return result, [str(w.message) for w in caught]

# ---------------------------------------------------------------- image folders

def test_fake_png_names_the_file(pets):
    fake = pets / "dog" / "fake.png"; fake.write_text("not a picture at all")
    with pytest.raises(ValueError) as e: load_dataset(pets)
    assert str(e.value) == f"{fake} is not a readable image (not an image file); remove it or replace it with a valid image"

def test_truncated_png_names_the_file(pets):
    cut = _png(pets / "cat" / "cut.png", noise_seed=0)
    whole = cut.read_bytes(); cut.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError) as e: load_dataset(pets)
    assert str(e.value) == f"{cut} is truncated or corrupt (image file is truncated); remove it or replace it with a valid image"
    assert "\n" not in str(e.value)

def test_nested_images_load_with_their_top_level_class(pets):
    _png(pets / "cat" / "indoor" / "sofa" / "n1.png"); _png(pets / "dog" / "park" / "n2.png")
    ds = load_dataset(pets)
    assert (len(ds), ds.class_names, np.bincount(ds.y).tolist()) == (8, ["cat", "dog"], [4, 4])
    assert str(pets / "cat" / "indoor" / "sofa" / "n1.png") in ds.sources
    assert ds.y[ds.sources.index(str(pets / "dog" / "park" / "n2.png"))] == 1
    assert "2 images from nested sub-folders, labelled by their top-level folder" in ds.info["preprocessing"]

def test_a_folder_named_like_an_image_is_not_read(pets):
    (pets / "cat" / "whiskers.png").mkdir(); _png(pets / "cat" / "whiskers.png" / "inside.png")
    ds = load_dataset(pets)
    assert str(pets / "cat" / "whiskers.png") not in ds.sources and str(pets / "cat" / "whiskers.png" / "inside.png") in ds.sources
    assert len(ds) == 7

def test_images_outside_class_folders_are_skipped_with_a_notice(pets):
    _png(pets / "stray.png")
    ds, messages = _warned(lambda: load_dataset(pets))
    assert len(ds) == 6
    assert messages == [f"{pets}: 1 images directly in the folder were skipped (stray.png); put each image in a sub-folder named after its class"]

def test_varying_sizes_are_resized_to_the_most_common_and_said(pets):
    _png(pets / "dog" / "wide.png", size=(30, 20))
    ds = load_dataset(pets)
    assert ds.x.shape == (7, 12, 10)
    assert ds.info["preprocessing"] == "size 12x10 (the most common size; 1 of 7 images resized)"
    assert ds.summary() == "7 images 12x10 grayscale, 2 classes (size 12x10 (the most common size; 1 of 7 images resized))"
    assert load_dataset(pets, image_size=(6, 5)).x.shape == (7, 6, 5)
    assert load_dataset(pets, image_size=4).info["preprocessing"].startswith("size 4x4 (as asked; 7 of 7 images resized)")

def test_large_images_shrink_to_the_documented_side(tmp_path):
    for label in ("a", "b"): _png(tmp_path / "big" / label / "x.png", size=(400, 200))
    ds = load_dataset(tmp_path / "big")
    assert MAX_IMAGE_SIDE == 128 and ds.x.shape == (2, 64, 128)
    assert ds.info["preprocessing"].startswith("size 64x128 (the most common size, shrunk to fit 128x128; 2 of 2 images resized)")

def test_colour_conversion_is_explicit(pets):
    _png(pets / "cat" / "red.png", mode="RGB", value=200)
    rgb = load_dataset(pets)
    assert rgb.x.shape == (7, 12, 10, 3) and rgb.info["color_mode"] == "rgb"
    assert "6 images converted to rgb" in rgb.info["preprocessing"] and " rgb, 2 classes" in rgb.summary()
    grey = load_dataset(pets, color_mode="grayscale")
    red = grey.x[grey.sources.index(str(pets / "cat" / "red.png"))]
    assert grey.x.shape == (7, 12, 10) and "1 images converted to grayscale" in grey.info["preprocessing"]
    assert np.allclose(red, round(200 * 299 / 1000))  # ITU-R 601 luma of (200, 0, 0)
    with pytest.raises(ValueError, match="`color_mode` must be one of 'auto', 'grayscale', 'rgb'"): load_dataset(pets, color_mode="cmyk")

def test_transparent_pixels_are_laid_on_white(tmp_path):
    for label in ("a", "b"): Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save((tmp_path / label).mkdir() or tmp_path / label / "t.png")
    ds = load_dataset(tmp_path)
    assert ds.x.shape == (2, 4, 4, 3) and np.all(ds.x == 255)

def test_a_folder_too_large_for_memory_is_refused_with_the_estimate(pets, monkeypatch):
    with pytest.raises(ValueError) as e: load_dataset(pets, memory_limit=1000)
    assert str(e.value) == (f"{pets}: 6 images of 12x10 need about 2.9 KB of memory as float32, more than 1.0 KB (the limit given). "
                            "Choose a smaller --image-size or load fewer images")
    import deepseek_nb.data
    monkeypatch.setattr(deepseek_nb.data, "_available_memory", lambda: 2 * 10**8)
    monkeypatch.setattr(deepseek_nb.data, "_read_image", lambda *a: pytest.fail("decoded before the memory check"))
    with pytest.raises(ValueError) as e: load_dataset(pets, image_size=(4096, 4096))
    assert str(e.value) == (f"{pets}: 6 images of 4096x4096 need about 402.7 MB of memory as float32, more than 100.0 MB "
                            "(half the available memory). Choose a smaller --image-size or load fewer images")

def test_bad_image_size_is_named(pets):
    for bad in ((0, 8), (8,), "64", (True, 8)):
        with pytest.raises(ValueError, match=r"`image_size` must be \(height, width\) with sides from 1 to 4096, for instance \(64, 64\). Received: image_size="):
            load_dataset(pets, image_size=bad)

def test_train_and_test_folders_agree_on_classes(tmp_path, pets):
    for label in ("dog", "cat"): _png(tmp_path / "test" / label / "t.png", value=7)
    test = load_dataset(tmp_path / "test")
    train = load_dataset(pets)
    assert test.class_names == train.class_names == ["cat", "dog"]
    assert test.y[test.sources.index(str(tmp_path / "test" / "dog" / "t.png"))] == 1
    _png(tmp_path / "only_dogs" / "dog" / "d.png"); _png(tmp_path / "only_dogs" / "zebra" / "z.png")
    with pytest.raises(ValueError) as e: load_dataset(tmp_path / "only_dogs", class_names=train.class_names)
    assert str(e.value) == "only_dogs has classes that `class_names` lacks: 'zebra'. Received: class_names=['cat', 'dog']"
    renumbered = load_dataset(tmp_path / "only_dogs", class_names=["zebra", "cat", "dog"])
    assert renumbered.y.tolist() == [2, 0]

def test_audit_compares_a_train_folder_with_a_test_folder(tmp_path, pets):
    (tmp_path / "test" / "dog").mkdir(parents=True); (tmp_path / "test" / "cat").mkdir()
    (tmp_path / "test" / "dog" / "leak.png").write_bytes((pets / "dog" / "1.png").read_bytes())
    _png(tmp_path / "test" / "cat" / "new.png", value=99)
    train, test = load_dataset(pets), load_dataset(tmp_path / "test")
    assert train_test_overlap(train, test) == [test.sources.index(str(tmp_path / "test" / "dog" / "leak.png"))]
    report = audit(train, label_errors=False, test=test)
    assert report.sources["train_test_overlap"] == [str(tmp_path / "test" / "dog" / "leak.png")]
    row = report.table().set_index("check").loc["train/test overlap"]
    assert (row["status"], row["finding"], row["samples"]) == ("check", "1 test samples of the test set 'test' also in the training data",
                                                               str(tmp_path / "test" / "dog" / "leak.png"))
    assert json.loads(json.dumps(report.to_dict()))["compared_with"] == "test"
    with pytest.raises(ValueError, match="load both the same way"): train_test_overlap(train, load_dataset(tmp_path / "test", image_size=(5, 5)))

# ---------------------------------------------------------------- CSV

def _csv(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name; path.write_bytes(text.encode(encoding)); return path

def test_wrong_column_lists_the_columns_and_the_flags(tmp_path):
    path = _csv(tmp_path, "reviews.csv", "review,stars\ngreat,5\nbad,1\n")
    with pytest.raises(ValueError) as e: load_dataset(path, text_column="review")
    assert str(e.value) == ("reviews.csv has no column(s) label; its columns are 'review', 'stars'. "
                            "Name the right ones with --text-column and --label-column")
    assert "label_column=" not in str(e.value) and "text_column=" not in str(e.value)
    ds = load_dataset(path, text_column="review", label_column="stars")
    assert (ds.x.tolist(), ds.class_names) == (["great", "bad"], ["1", "5"])

def test_byte_order_mark_reads(tmp_path):
    ds = load_dataset(_csv(tmp_path, "excel.csv", "text,label\nnice,pos\nawful,neg\n", "utf-8-sig"))
    assert ds.x.tolist() == ["nice", "awful"] and ds.class_names == ["neg", "pos"]

def test_a_cell_over_the_csv_field_limit_is_read(tmp_path):
    import csv
    before = csv.field_size_limit()
    path = _csv(tmp_path, "long.csv", "text,label\n\"" + "word, " * 30000 + "\",a\nshort,b\n")
    ds = load_dataset(path)
    assert len(ds.x[0]) == 6 * 30000 > before and csv.field_size_limit() == before

def test_sources_are_the_csv_lines_rows_start_on(tmp_path):
    path = _csv(tmp_path, "lines.csv", "text,label\nfirst,a\n\n\"two\nlines\",b\nlast,a\n")
    ds = load_dataset(path)
    assert ds.sources == [f"{path}:2", f"{path}:4", f"{path}:6"]
    assert ds.where([2, 0]) == [f"{path}:6", f"{path}:2"]

def test_missing_labels_name_the_lines(tmp_path):
    rows = "".join(f"t{k},{'' if k in (2, 5, 6, 7, 8, 9) else k % 2}\n" for k in range(12))
    with pytest.raises(ValueError) as e: load_dataset(_csv(tmp_path, "holes.csv", "text,label\n" + rows))
    assert str(e.value) == "holes.csv: no label in column 'label' (empty or NaN) on line(s) 4, 7, 8, 9, 10 and 1 more; fill them in or remove those rows"
    with pytest.raises(ValueError, match=r"short\.csv: no label in column 'label' \(empty or NaN\) on line\(s\) 3;"):
        load_dataset(_csv(tmp_path, "short.csv", "text,label\na,1\nb\nc,0\n"))

def test_a_nan_in_integer_labels_is_refused_not_regression(tmp_path):
    with pytest.raises(ValueError) as e: load_dataset(_csv(tmp_path, "nan.csv", "text,label\na,1\nb,0\nc,NaN\nd,1\ne,nan\n"))
    assert str(e.value) == "nan.csv: no label in column 'label' (empty or NaN) on line(s) 4, 6 (read as missing: 'NaN', 'nan'); fill them in or remove those rows"
    assert load_dataset(_csv(tmp_path, "words.csv", "text,label\na,nothing\nb,some\n")).class_names == ["nothing", "some"]
    np.savez(tmp_path / "arrays.npz", x=np.zeros((4, 8, 8)), y=np.array([0.0, 1.0, np.nan, 1.0]))
    with pytest.raises(ValueError) as e: load_dataset(tmp_path / "arrays.npz")
    assert str(e.value) == "arrays.npz: label missing (NaN) at index 2; fill them in or remove those samples"
    with pytest.raises(ValueError, match=r"y of 'arrays': label missing \(NaN\) at index 0, 3"):
        from_arrays(np.zeros((4, 8, 8)), [np.nan, 1, 0, np.nan])

def test_labels_written_two_ways_are_merged_with_one_notice(tmp_path):
    path = _csv(tmp_path, "two_ways.csv", "text,label\na,1\nb,1.0\nc, 1\nd,0\ne,0.0\nf,pos \ng,pos\n")
    ds, messages = _warned(lambda: load_dataset(path))
    assert (ds.class_names, ds.y.tolist()) == (["0", "1", "pos"], [1, 1, 1, 0, 0, 2, 2])
    assert messages == ["two_ways.csv: labels that differ only by whitespace or number format were merged: "
                        "'0' and '0.0' -> '0'; ' 1' and '1' and '1.0' -> '1'; 'pos' and 'pos ' -> 'pos'"]
    clean_ds, quiet = _warned(lambda: load_dataset(_csv(tmp_path, "plain.csv", "text,label\na,1\nb,0\n")))
    assert quiet == [] and clean_ds.class_names == ["0", "1"]

def test_unquoted_commas_are_refused_with_the_line(tmp_path):
    with pytest.raises(ValueError) as e: load_dataset(_csv(tmp_path, "commas.csv", "text,label\nfine,a\ngood, really good,b\nok,a\n"))
    assert str(e.value) == "commas.csv: more cells than the header's 2 on line(s) 3; put a text that holds commas in double quotes (\"like, this\")"
    assert len(load_dataset(_csv(tmp_path, "trailing.csv", "text,label\nfine,a,\ngood,b,\n"))) == 2  # empty trailing cells are harmless

def test_not_utf8_names_the_byte(tmp_path):
    with pytest.raises(ValueError) as e: load_dataset(_csv(tmp_path, "latin.csv", "text,label\ncaf\xe9,a\nb,b\n", "latin-1"))
    assert str(e.value).startswith("latin.csv is not utf-8 text (byte b'\\xe9' at position 14). Save it as UTF-8")

# ---------------------------------------------------------------- sources, audit, clean

def test_arrays_have_index_sources_and_clean_keeps_sources(tmp_path):
    ds = from_arrays(np.stack([np.eye(4)] * 3 + [np.ones((4, 4)), np.zeros((4, 4))]), [0, 0, 1, 1, 0])
    assert ds.sources == [f"index {i}" for i in range(5)]
    csv_ds = load_dataset(_csv(tmp_path, "d.csv", "text,label\nsame words here,a\nother words there,b\nsame words here,a\nyet more words,b\n"))
    cleaned, log = clean(csv_ds, audit(csv_ds, label_errors=False))
    assert log["source"].tolist() == [f"{tmp_path / 'd.csv'}:4"]
    assert cleaned.sources == [f"{tmp_path / 'd.csv'}:{line}" for line in (2, 3, 5)]

def test_near_duplicates_never_pair_a_sample_with_itself():
    words = "one two three four five six seven eight nine ten".split()
    rng = np.random.default_rng(0)
    base = [" ".join(rng.permutation(words * 100)) for _ in range(2)]
    texts = [base[k % 2] + "!" * k for k in range(40)] + [" ".join(rng.permutation(words * 100)).upper() + "?" for _ in range(4)]
    _, pairs = near_duplicates(from_arrays(np.array(texts, dtype=object), [0] * 22 + [1] * 22))
    assert pairs and all(a != b for a, b in pairs)

def test_audit_points_at_csv_lines(tmp_path):
    rows = ["a warm and funny film,pos", "dull and far too long,neg", "a warm and funny film,neg", "the plot makes no sense at all,neg",
            "one of the best films this year,pos", "dull and far too long,neg", "a lovely cast,pos", "the music alone is worth it,pos"]
    with contextlib.chdir(tmp_path):
        Path("train.csv").write_text("text,label\n" + "\n".join(rows) + "\n")
        report = audit(load_dataset("train.csv"), label_errors=False)
    assert report.sources["exact_duplicates"] == ["train.csv:7"]
    assert report.sources["conflicting_duplicates"] == ["train.csv:2", "train.csv:4"]
    table = report.table().set_index("check")
    assert table.loc["conflicting duplicates", "samples"] == "train.csv:2, train.csv:4"
    assert table.loc["class balance", "finding"] == "balanced: 4 samples in each class"
    assert json.loads(json.dumps(report.to_dict()))["sources"]["exact_duplicates"] == ["train.csv:7"]

def test_cli_audit_prints_csv_lines(tmp_path):
    rows = ["good fun,pos", "bad film,neg", "good fun,pos", "truly awful,neg", "great acting,pos", "weak plot,neg"]
    (tmp_path / "train.csv").write_text("text,label\n" + "\n".join(rows) + "\n")
    result = cli("audit", "--dataset", "train.csv", "--no-label-errors", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("exact duplicates"))
    assert line.endswith("train.csv:4")
    (tmp_path / "holes.csv").write_text("text,label\na,1\nb,\n")
    assert_usage_error(cli("audit", "--dataset", "holes.csv", cwd=tmp_path, timeout=300), "holes.csv: no label in column 'label' (empty or NaN) on line(s) 3")

# ---------------------------------------------------------------- defaults from the data

def _docs(n=200, median_words=700, seed=0):
    rng = np.random.default_rng(seed)
    zipf = 1 / np.arange(1, 5001); zipf /= zipf.sum()
    vocabulary = np.array([f"w{k}" for k in range(5000)])
    texts = [" ".join(rng.choice(vocabulary, int(k), p=zipf)) for k in rng.lognormal(np.log(median_words), 0.5, n)]
    return from_arrays(np.array(texts, dtype=object), np.arange(n) % 2, name="docs")

def test_text_sequence_length_and_vocabulary_come_from_the_train_split():
    short = _docs(median_words=60)
    cfg, lengths = short.model_config(), np.array([len(str(t).split()) for t in short.splits().train.x])
    assert cfg.sequence_length == int(np.ceil(np.percentile(lengths, 95))) and cfg.sequence_length != 50
    assert 100 < cfg.vocab_size < 5002 and cfg.vocab_size != 10000
    assert (cfg.input_kind, cfg.num_classes, cfg.rnn, cfg.attention) == ("text", 2, "none", False)
    split = short.splits(seed=3).train
    assert short.model_config(train_split=split).sequence_length == int(np.ceil(np.percentile([len(str(t).split()) for t in split.x], 95)))
    long = _docs(median_words=700)
    assert long.model_config().sequence_length == MAX_SEQUENCE_LENGTH == 1024
    assert text_defaults(["w%d" % k for k in range(50000)])["vocab_size"] == MAX_VOCABULARY == 20000

def test_summary_and_truncation_lines():
    long = _docs(median_words=700)
    cfg, lengths = long.model_config(), long._text_defaults()["lengths"]
    covers = round(100 * np.mean(lengths <= 1024))
    assert long.summary() == f"200 texts, 2 classes, sequence length 1,024 (covers {covers} % of texts), vocabulary {cfg.vocab_size:,}"
    cut = lengths[lengths > 1024] - 1024
    assert long.truncation() == (f"{len(cut)} of {len(lengths)} training texts ({round(100 * len(cut) / len(lengths))} %) are longer than the "
                                 f"sequence length of 1,024 tokens and are cut by {int(np.median(cut))} tokens (median), at most {cut.max():,}; "
                                 "change it with --sequence-length")
    assert long.truncation(cfg.replace(sequence_length=10**5)) == ""
    assert load_dataset("digits").truncation() == ""
    assert load_dataset("digits").summary() == "1,797 images 8x8 grayscale, 10 classes"
    assert load_dataset("sunspots").summary() == "289 windows of 20 steps, regression"

def test_presets_are_unchanged_and_user_files_do_not_take_them(tmp_path):
    polarity = load_dataset("sentence_polarity")
    assert polarity.model_config() == preset("sentence_polarity")[0]
    assert polarity.summary() == "10,662 texts, 2 classes, sequence length 50 (covers 100 % of texts), vocabulary 12,000"
    assert polarity.sources[:2] == ["sentence_polarity.csv:2", "sentence_polarity.csv:3"]
    copy = tmp_path / "sentence_polarity.csv"
    copy.write_text("text,label\n" + "".join(f"{'word ' * (5 + k % 7)},{k % 2}\n" for k in range(40)))
    assert load_dataset(copy).model_config().sequence_length == 11  # from its own texts, not the preset's 50

def test_an_option_for_another_kind_of_input_is_named(tmp_path, pets):
    path = _csv(tmp_path, "r.csv", "text,label\na,x\nb,y\n")
    with pytest.raises(ValueError) as e: load_dataset(path, image_size=(8, 8))
    assert str(e.value) == "`image_size` (--image-size) does not apply to r.csv, a CSV file; it takes text_column, label_column, name, encoding, memory_limit"
    with pytest.raises(ValueError, match=r"^`text_column` \(--text-column\) does not apply to pets, a folder of images; it takes image_size, color_mode"):
        load_dataset(pets, text_column="caption")
    assert len(load_dataset(pets, text_column=None, image_size=None)) == 6  # options left at None are not given
