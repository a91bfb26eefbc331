"""The bad-input battery: each bad input gets a clear error of the right type, naming the problem, before expensive work.

Cases are grouped by module; each is (id, action, exception type, words the message must contain)."""
import json
import numpy as np
import pytest
from conftest import cli, assert_usage_error
from deepseek_nb.config import ModelConfig, TrainConfig, preset
from deepseek_nb.data import load_dataset, from_arrays, windows

def _digits(): return load_dataset("digits")

CONFIG = [
    ("depth-0", lambda: ModelConfig(depth=0), ValueError, "`depth` must be an integer >= 1. Received: depth=0"),
    ("width-negative", lambda: ModelConfig(width=-8), ValueError, "`width` must be an integer >= 1"),
    ("heads-0", lambda: ModelConfig(heads=0), ValueError, "`heads` must be an integer >= 1"),
    ("key-dim-0", lambda: ModelConfig(key_dim=0), ValueError, "`key_dim`"),
    ("rnn-unknown", lambda: ModelConfig(rnn="transformer"), ValueError, "`rnn` must be one of 'lstm', 'gru', 'none'"),
    ("dropout-1", lambda: ModelConfig(dropout=1.0), ValueError, "`dropout` must be a number in [0, 1)"),
    ("dropout-nan", lambda: ModelConfig(dropout=float("nan")), ValueError, "`dropout`"),
    ("pooling-shrinks-map", lambda: ModelConfig(depth=5), ValueError, "shrinks the 8x8 input to nothing. Use depth <= 3"),
    ("input-shape-rank", lambda: ModelConfig(input_shape=(64,)), ValueError, "`input_shape` must be a tuple of 2 or 3"),
    ("one-class", lambda: ModelConfig(num_classes=1), ValueError, "`num_classes` must be an integer >= 2"),
    ("activation-unknown", lambda: ModelConfig(activation="relu6x"), ValueError, "`activation` must be one of"),
    ("flag-not-bool", lambda: ModelConfig(attention="yes"), ValueError, "`attention` must be True or False"),
    ("depth-float", lambda: ModelConfig(depth=2.5), ValueError, "`depth` must be an integer"),
    ("unknown-field", lambda: ModelConfig.from_dict({"hedas": 4}), ValueError, "Unknown ModelConfig field(s): hedas"),
    ("config-json-garbage", lambda: TrainConfig.from_json("{epochs: 3"), ValueError, "not valid JSON"),
    ("config-json-list", lambda: TrainConfig.from_json("[1, 2]"), ValueError, "must hold an object"),
    ("config-json-missing-file", lambda: TrainConfig.from_json("runs/none/config.json"), ValueError, "needs JSON text or an existing .json file"),
    ("optimizer-unknown", lambda: TrainConfig(optimizer="adagrad"), ValueError, "`optimizer` must be one of 'adam'"),
    ("learning-rate-0", lambda: TrainConfig(learning_rate=0.0), ValueError, "`learning_rate`"),
    ("learning-rate-inf", lambda: TrainConfig(learning_rate=float("inf")), ValueError, "`learning_rate`"),
    ("batch-size-0", lambda: TrainConfig(batch_size=0), ValueError, "`batch_size` must be an integer >= 1"),
    ("epochs-0", lambda: TrainConfig(epochs=0), ValueError, "`epochs` must be an integer >= 1"),
    ("schedule-unknown", lambda: TrainConfig(schedule="triangle"), ValueError, "`schedule` must be one of"),
    ("loss-unknown", lambda: TrainConfig(loss="hinge"), ValueError, "`loss` must be one of"),
    ("splits-leave-nothing", lambda: TrainConfig(validation_fraction=0.5, test_fraction=0.6), ValueError, "validation_fraction + test_fraction < 1"),
    ("warmup-too-long", lambda: TrainConfig(epochs=3, warmup_epochs=3), ValueError, "`warmup_epochs` must be smaller than epochs"),
    ("preset-unknown", lambda: preset("cifar100"), ValueError, "`dataset` must be one of 'digits'"),
]

def _architecture_cases():
    from deepseek_nb.architecture import build_model, attention_scores
    no_attention = lambda: attention_scores(build_model(ModelConfig(attention=False)), np.zeros((1, 8, 8), "float32"))
    changed = ModelConfig(); changed.heads = 0
    return [
        ("build-from-dict", lambda: build_model({"depth": 2}), TypeError, "`cfg` must be a ModelConfig"),
        ("build-after-bad-change", lambda: build_model(changed), ValueError, "`heads` must be an integer >= 1"),
        ("probe-without-attention", no_attention, ValueError, "no attention layer"),
    ]

def _data_cases(tmp_path):
    corrupt = tmp_path / "corrupt.npz"; corrupt.write_bytes(b"PK\x03\x04 this is not a zip archive")
    wrong_keys = tmp_path / "wrong.npz"; np.savez(wrong_keys, pixels=np.zeros((4, 8, 8)), targets=np.zeros(4))
    no_columns = tmp_path / "reviews.csv"; no_columns.write_text("review,stars\ngood,5\n")
    empty_csv = tmp_path / "empty.csv"; empty_csv.write_text("text,label\n")
    latin = tmp_path / "latin.csv"; latin.write_bytes("text,label\ncaf\xe9 cr\xe8me,good\nbad,bad\n".encode("latin-1"))
    folder = tmp_path / "images"
    from PIL import Image
    for label, size in (("cat", (8, 8)), ("dog", (9, 7))):
        (folder / label).mkdir(parents=True); Image.new("L", size).save(folder / label / "a.png")
    from deepseek_nb.data import audit, clean, label_issues
    return [
        ("dataset-unknown", lambda: load_dataset("digitz"), ValueError, "Unknown data set 'digitz'. Use one of digits"),
        ("path-missing", lambda: load_dataset(tmp_path / "nowhere.npz"), ValueError, "a path to an existing .npz or .csv"),
        ("arrays-empty", lambda: from_arrays(np.zeros((0, 8, 8)), np.zeros(0)), ValueError, "empty"),
        ("arrays-length-mismatch", lambda: from_arrays(np.zeros((5, 8, 8)), np.zeros(4)), ValueError, "same number of samples. Received: 5 inputs and 4 targets"),
        ("targets-2d", lambda: from_arrays(np.zeros((5, 8, 8)), np.zeros((5, 2))), ValueError, "one target per sample"),
        ("kind-unknown", lambda: from_arrays(np.zeros((5, 8, 8)), np.arange(5), kind="video"), ValueError, "`kind` must be one of"),
        ("npz-corrupt", lambda: load_dataset(corrupt), ValueError, "not a readable .npz file"),
        ("npz-wrong-keys", lambda: load_dataset(wrong_keys), ValueError, "must hold arrays 'images' and 'labels'"),
        ("csv-missing-columns", lambda: load_dataset(no_columns), ValueError, "has no column(s) text, label"),
        ("csv-no-rows", lambda: load_dataset(empty_csv), ValueError, "has no rows"),
        ("window-too-long", lambda: windows(np.arange(10.0), 10), ValueError, "`window` must be in [1, 9]"),
        ("too-few-samples", lambda: from_arrays(np.zeros((2, 8, 8)), np.array([0, 1])).splits(0.4, 0.4), ValueError, "too few for the requested splits"),
        ("single-class", lambda: from_arrays(np.zeros((5, 8, 8)), np.zeros(5, int)), ValueError, "a classifier needs at least 2 classes"),
        ("ragged-samples", lambda: from_arrays([np.zeros((8, 8)), np.zeros((7, 7))], [0, 1]), ValueError, "holds samples of different shapes"),
        ("csv-not-utf8", lambda: load_dataset(latin), ValueError, "utf-8"),
        ("folder-mixed-sizes", lambda: load_dataset(folder), ValueError, "different sizes"),
        ("audit-not-dataset", lambda: audit(np.zeros((4, 8, 8))), TypeError, "`ds` must be a Dataset"),
        ("clean-unknown-check", lambda: clean(_digits(), drop=("typos",)), ValueError, "`drop` must be one of"),
        ("label-errors-regression", lambda: label_issues(load_dataset("sunspots")), ValueError, "Label errors need classes"),
    ]

def _training_cases():
    from deepseek_nb.training import train, resolve_loss
    from deepseek_nb.architecture import build_model
    model_cfg, train_cfg = preset("digits")
    nan_data = from_arrays(np.full((30, 8, 8), np.nan), np.arange(30) % 3)
    return [
        ("train-nan-inputs", lambda: train(model_cfg, nan_data, train_cfg), ValueError, "NaN or infinite input values"),
        ("train-cfg-dict", lambda: train(model_cfg, _digits(), {"epochs": 2}), TypeError, "`cfg` must be a TrainConfig"),
        ("train-data-array", lambda: train(model_cfg, np.zeros((10, 8, 8)), train_cfg), TypeError, "`data` must be a Dataset"),
        ("train-kind-mismatch", lambda: train(model_cfg.replace(input_kind="series", input_shape=(8,)), _digits(), train_cfg), ValueError, "does not fit the image data set"),
        ("train-shape-mismatch", lambda: train(build_model(ModelConfig(input_shape=(28, 28))), _digits(), train_cfg), ValueError, "takes inputs of shape (28, 28) but digits has (8, 8)"),
        ("loss-for-wrong-task", lambda: resolve_loss(TrainConfig(loss="mse"), "classification"), ValueError, "does not fit a classification task"),
        ("binary-loss-10-classes", lambda: resolve_loss(TrainConfig(loss="binary_crossentropy"), "classification", 10), ValueError, "needs exactly 2 classes. Received: num_classes=10"),
    ]

def _check(action, error, words):
    with pytest.raises(error) as info: action()
    message = str(info.value)
    assert words in message, message
    assert "Traceback" not in message and "tensorflow/core" not in message and len(message) < 600, message

@pytest.mark.parametrize("case", CONFIG, ids=[c[0] for c in CONFIG])
def test_config(case): _check(*case[1:])

@pytest.mark.parametrize("index", range(3))
def test_architecture(index): _check(*_architecture_cases()[index][1:])

def _augment_cases():
    from deepseek_nb.augment import image_augmenter, eda_split, window_slice
    texts = load_dataset("sentence_polarity").splits().test
    return [
        ("augment-rotation-too-large", lambda: image_augmenter(rotation=0.8), ValueError, "`rotation` must be a number in [0.0, 0.5]"),
        ("augment-noise-negative", lambda: image_augmenter(noise=-0.1), ValueError, "`noise`"),
        ("eda-n-0", lambda: eda_split(texts, n=0), ValueError, "`n` must be an integer >= 1"),
        ("window-slice-ratio", lambda: window_slice(np.zeros((4, 20)), ratio=0.01), ValueError, "`ratio` must be a number in [0.1, 1.0]"),
    ]

@pytest.mark.parametrize("index", range(4))
def test_augment(index): _check(*_augment_cases()[index][1:])

@pytest.mark.parametrize("index", range(19))
def test_data(index, tmp_path): _check(*_data_cases(tmp_path)[index][1:])

@pytest.mark.parametrize("index", range(7))
def test_training(index): _check(*_training_cases()[index][1:])

CLI = [
    (["train", "--epochs", "0"], "--epochs: must be at least 1"),
    (["train", "--heads", "-2"], "--heads: must be at least 1"),
    (["train", "--width", "wide"], "--width: must be a whole number"),
    (["train", "--learning-rate", "nan"], "--learning-rate: must be a positive number"),
    (["train", "--dataset", "missing.csv"], "Unknown data set 'missing.csv'"),
    (["fly"], "invalid choice: 'fly'"),
]

@pytest.mark.parametrize("argv, words", CLI, ids=[" ".join(c[0]) for c in CLI])
def test_cli(argv, words, tmp_path):
    assert_usage_error(cli(*argv, cwd=tmp_path, timeout=120), words)

def _optimisation_cases():
    from deepseek_nb.architecture import build_model
    from deepseek_nb.optimize import prune, quantize, export_tflite, compare, structured_prune
    model = build_model(ModelConfig(), seed=0)
    bidirectional = ModelConfig(bidirectional=True)
    return [
        ("prune-sparsity-above-1", lambda: prune(model, _digits(), target_sparsity=1.2), ValueError, "target_sparsity"),
        ("quantize-unknown-mode", lambda: quantize(model, "int4"), ValueError, "`mode` must be one of"),
        ("tflite-unknown-mode", lambda: export_tflite(model, "int2"), ValueError, "`mode` must be one of 'float32'"),
        ("compare-nothing", lambda: compare({}, _digits().splits().test), ValueError, "`variants` must name at least one model"),
        ("compare-no-repeats", lambda: compare(dict(float=model), _digits().splits().test, repeats=0), ValueError, "`repeats` must be an integer >= 1"),
        ("structured-bidirectional", lambda: structured_prune(build_model(bidirectional), _digits(), model_config=bidirectional), ValueError, "bidirectional"),
    ]

@pytest.mark.parametrize("index", range(6))
def test_optimisation(index): _check(*_optimisation_cases()[index][1:])

def _distributed_cases(monkeypatch):
    from deepseek_nb.distributed import get_strategy, model_parallel
    monkeypatch.delenv("TF_CONFIG", raising=False)
    return [
        ("strategy-unknown", lambda: get_strategy("cluster"), ValueError, "`kind` must be one of"),
        ("multiworker-without-tf-config", lambda: get_strategy("multiworker"), ValueError, "needs the TF_CONFIG environment variable"),
        ("tpu-absent", lambda: get_strategy("tpu"), RuntimeError, "needs a TPU"),
        ("model-parallel-missing-block", lambda: model_parallel(ModelConfig(), devices={"input": "/cpu:0"}), ValueError, "must map each block"),
    ]

@pytest.mark.parametrize("index", range(4))
def test_distributed(index, monkeypatch): _check(*_distributed_cases(monkeypatch)[index][1:])

def test_widget_shows_the_validation_message_instead_of_raising():
    from deepseek_nb.widgets import config_readout
    html, ok = config_readout(dict(depth=9), {})
    assert not ok and "shrinks the 8x8 input to nothing. Use depth &lt;= 3" in html

def test_widget_refuses_to_train_an_impossible_configuration():
    from deepseek_nb.widgets import Playground
    pg = Playground()
    pg.depth.value = pg.depth.max  # 6 pooling blocks cannot fit an 8x8 image
    with pytest.raises(ValueError) as info: pg.train(block=True)
    assert "`depth`=6" in str(info.value) and "Use depth <= 3" in str(info.value)
    assert not pg.runs
