"""The bad-input battery: each bad input gets a clear error of the right type, naming the problem, in one line, before expensive work.

Cases are grouped by module; each is (id, action, exception type, words the message must contain). The tests are parametrised
directly over the case lists, so a new case cannot be left out; actions take a `Ctx` (scratch folder, monkeypatch)."""
import json
from pathlib import Path
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

class Ctx:
    "What a case may need: a scratch folder with bad files in it, and monkeypatch."
    def __init__(self, tmp_path, monkeypatch): self.tmp, self.monkeypatch = tmp_path, monkeypatch
    def file(self, name: str, content) -> "Path":
        path = self.tmp / name; path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
        return path
    def images(self, name: str = "images", broken: bytes | None = None) -> "Path":
        "A folder of two classes of small PNGs; `broken` (bytes) replaces one file's content."
        from PIL import Image
        import io
        folder = self.tmp / name
        for label in ("cat", "dog"):
            (folder / label).mkdir(parents=True, exist_ok=True)
            for i in range(3): Image.new("L", (8, 8), 40 * i).save(folder / label / f"{i}.png")
        if broken is not None: (folder / "dog" / "broken.png").write_bytes(broken)
        return folder

def _png() -> bytes:
    from PIL import Image
    import io
    buffer = io.BytesIO(); Image.new("L", (32, 32), 90).save(buffer, format="png"); return buffer.getvalue()

def _memory(width):
    from deepseek_nb.architecture import check_memory
    return check_memory(ModelConfig(width=width), 32, available=20 * 10**9)

def _model(cfg=None):
    from deepseek_nb.architecture import build_model
    return build_model(cfg or ModelConfig(), seed=0)

def _train(*args, **kwargs):
    from deepseek_nb.training import train
    return train(*args, **kwargs)

MODEL, TRAIN = preset("digits")

CONFIG += [
    ("depth-1e9", lambda: ModelConfig(depth=10**9), ValueError, "Use depth <= 3"),
    ("depth-1e9-no-pooling", lambda: ModelConfig(depth=10**9, pooling="none"), ValueError, "`depth` must be at most 64"),
    ("model-config-changed", lambda: setattr(ModelConfig(), "heads", 0), AttributeError, "Use cfg = cfg.replace(heads=0), which returns a validated copy"),
    ("train-config-changed", lambda: setattr(TrainConfig(), "optimizer", "adagrad"), AttributeError, "cfg.replace(optimizer='adagrad')"),
    ("replace-batch-size-0", lambda: TrainConfig().replace(batch_size=0), ValueError, "`batch_size` must be an integer >= 1"),
]

ARCHITECTURE = [
    ("build-from-dict", lambda c: _model({"depth": 2}), TypeError, "`cfg` must be a ModelConfig"),
    ("probe-without-attention", lambda c: __import__("deepseek_nb.architecture").architecture.attention_scores(_model(ModelConfig(attention=False)), np.zeros((1, 8, 8), "float32")), ValueError, "no attention layer"),
    ("width-beyond-memory", lambda c: _memory(100_000), ValueError, "`width`=100000 needs about 1.44 TB to train with batch_size=32"),
]

DATA = [
    ("dataset-unknown", lambda c: load_dataset("digitz"), ValueError, "Unknown data set 'digitz'. Use one of digits"),
    ("path-missing", lambda c: load_dataset(c.tmp / "nowhere.npz"), ValueError, "a path to an existing .npz or .csv"),
    ("arrays-empty", lambda c: from_arrays(np.zeros((0, 8, 8)), np.zeros(0)), ValueError, "empty"),
    ("arrays-length-mismatch", lambda c: from_arrays(np.zeros((5, 8, 8)), np.zeros(4)), ValueError, "same number of samples. Received: 5 inputs and 4 targets"),
    ("targets-2d", lambda c: from_arrays(np.zeros((5, 8, 8)), np.zeros((5, 2))), ValueError, "one target per sample"),
    ("kind-unknown", lambda c: from_arrays(np.zeros((5, 8, 8)), np.arange(5), kind="video"), ValueError, "`kind` must be one of"),
    ("npz-corrupt", lambda c: load_dataset(c.file("corrupt.npz", b"PK\x03\x04 this is not a zip archive")), ValueError, "not a readable .npz file"),
    ("npz-wrong-keys", lambda c: load_dataset(_npz(c.tmp / "wrong.npz", pixels=np.zeros((4, 8, 8)), targets=np.zeros(4))), ValueError, "must hold arrays 'images' and 'labels'"),
    ("csv-missing-columns", lambda c: load_dataset(c.file("reviews.csv", "review,stars\ngood,5\n")), ValueError, "Name the right ones with --text-column and --label-column"),
    ("csv-no-rows", lambda c: load_dataset(c.file("empty.csv", "text,label\n")), ValueError, "has no rows"),
    ("csv-not-utf8", lambda c: load_dataset(c.file("latin.csv", "text,label\ncaf\xe9 cr\xe8me,good\nbad,bad\n".encode("latin-1"))), ValueError, "utf-8"),
    ("csv-missing-labels", lambda c: load_dataset(c.file("holes.csv", "text,label\na b,pos\nc d,\ne f,neg\ng h, \n")), ValueError, "holes.csv: no label in column 'label' (empty or NaN) on line(s) 3, 5"),
    ("csv-integer-labels-with-nan", lambda c: load_dataset(c.file("nan.csv", "text,label\na b,1\nc d,NaN\ne f,0\ng h,1\n")), ValueError, "on line(s) 3"),
    ("window-too-long", lambda c: windows(np.arange(10.0), 10), ValueError, "`window` must be in [1, 9]"),
    ("too-few-samples", lambda c: from_arrays(np.zeros((2, 8, 8)), np.array([0, 1])).splits(0.4, 0.4), ValueError, "too few for the requested splits"),
    ("single-class", lambda c: from_arrays(np.zeros((5, 8, 8)), np.zeros(5, int)), ValueError, "a classifier needs at least 2 classes"),
    ("ragged-samples", lambda c: from_arrays([np.zeros((8, 8)), np.zeros((7, 7))], [0, 1]), ValueError, "holds samples of different shapes"),
    ("folder-bad-image-size", lambda c: load_dataset(c.images(), image_size=(0, 8)), ValueError, "`image_size` must be (height, width) with sides from 1 to 4096"),
    ("folder-fake-png", lambda c: load_dataset(c.images(broken=b"this is a text file, not a PNG")), ValueError, "broken.png is not a readable image"),
    ("folder-truncated-png", lambda c: load_dataset(c.images(broken=_png()[:60])), ValueError, "broken.png"),
    ("audit-not-dataset", lambda c: __import__("deepseek_nb.data").data.audit(np.zeros((4, 8, 8))), TypeError, "`ds` must be a Dataset"),
    ("clean-unknown-check", lambda c: __import__("deepseek_nb.data").data.clean(_digits(), drop=("typos",)), ValueError, "`drop` must be one of"),
    ("label-errors-regression", lambda c: __import__("deepseek_nb.data").data.label_issues(load_dataset("sunspots")), ValueError, "Label errors need classes"),
]

def _npz(path, **arrays): np.savez(path, **arrays); return path

TRAINING = [
    ("train-nan-inputs", lambda c: _train(MODEL, from_arrays(np.full((30, 8, 8), np.nan), np.arange(30) % 3), TRAIN), ValueError, "NaN or infinite input values"),
    ("train-cfg-dict", lambda c: _train(MODEL, _digits(), {"epochs": 2}), TypeError, "`cfg` must be a TrainConfig"),
    ("train-data-array", lambda c: _train(MODEL, np.zeros((10, 8, 8)), TRAIN), TypeError, "`data` must be a Dataset"),
    ("train-kind-mismatch", lambda c: _train(MODEL.replace(input_kind="series", input_shape=(8,)), _digits(), TRAIN), ValueError, "does not fit the image data set"),
    ("train-shape-mismatch", lambda c: _train(_model(ModelConfig(input_shape=(28, 28))), _digits(), TRAIN), ValueError, "takes inputs of shape (28, 28) but digits has (8, 8)"),
    ("train-more-classes-than-outputs", lambda c: _train(MODEL.replace(num_classes=4), _digits(), TRAIN), ValueError, "digits has 10 classes but the model has 4 outputs (`num_classes`=4); use num_classes=10"),
    ("train-regression-data-classifier", lambda c: _train(ModelConfig(input_kind="series", input_shape=(20,)), load_dataset("sunspots"), TRAIN), ValueError, "holds regression targets; use task='regression'"),
    ("train-width-beyond-memory", lambda c: _train(MODEL.replace(width=100_000), _digits(), TRAIN), ValueError, "needs about"),
    ("train-backup-seconds", lambda c: _train(MODEL, _digits(), TRAIN, backup_seconds=-1), ValueError, "`backup_seconds` must be a number >= 0"),
    ("train-into-users-folder", lambda c: _train(MODEL, _digits(), TRAIN.replace(epochs=1), out=c.file("mine/notes.txt", "x").parent, overwrite=True), ValueError, "did not make"),
    ("train-over-a-run", lambda c: (__import__("deepseek_nb.runs").runs.mark(c.tmp / "run"), c.file("run/model.keras", "m"), _train(MODEL, _digits(), TRAIN.replace(epochs=1), out=c.tmp / "run")), ValueError, "already exists; pass overwrite=True"),
    ("loss-for-wrong-task", lambda c: __import__("deepseek_nb.training").training.resolve_loss(TrainConfig(loss="mse"), "classification"), ValueError, "does not fit a classification task"),
    ("binary-loss-10-classes", lambda c: __import__("deepseek_nb.training").training.resolve_loss(TrainConfig(loss="binary_crossentropy"), "classification", 10), ValueError, "needs exactly 2 classes. Received: num_classes=10"),
]

AUGMENT = [
    ("augment-rotation-too-large", lambda c: __import__("deepseek_nb.augment").augment.image_augmenter(rotation=0.8), ValueError, "`rotation` must be a number in [0.0, 0.5]"),
    ("augment-noise-negative", lambda c: __import__("deepseek_nb.augment").augment.image_augmenter(noise=-0.1), ValueError, "`noise`"),
    ("eda-n-0", lambda c: __import__("deepseek_nb.augment").augment.eda_split(load_dataset("sentence_polarity").splits().test, n=0), ValueError, "`n` must be an integer >= 1"),
    ("window-slice-ratio", lambda c: __import__("deepseek_nb.augment").augment.window_slice(np.zeros((4, 20)), ratio=0.01), ValueError, "`ratio` must be a number in [0.1, 1.0]"),
]

OPTIMISATION = [
    ("prune-sparsity-above-1", lambda c: _opt().prune(_model(), _digits(), target_sparsity=1.2), ValueError, "target_sparsity"),
    ("quantize-unknown-mode", lambda c: _opt().quantize(_model(), "int4"), ValueError, "`mode` must be one of"),
    ("tflite-unknown-mode", lambda c: _opt().export_tflite(_model(), "int2"), ValueError, "`mode` must be one of 'float32'"),
    ("compare-nothing", lambda c: _opt().compare({}, _digits().splits().test), ValueError, "`variants` must name at least one model"),
    ("compare-no-repeats", lambda c: _opt().compare(dict(float=_model()), _digits().splits().test, repeats=0), ValueError, "`repeats` must be an integer >= 1"),
    ("structured-bidirectional", lambda c: _opt().structured_prune(_model(ModelConfig(bidirectional=True)), _digits(), model_config=ModelConfig(bidirectional=True)), ValueError, "bidirectional"),
]

def _opt():
    import deepseek_nb.optimize as optimize
    return optimize

def _dist(c):
    import deepseek_nb.distributed as distributed
    c.monkeypatch.delenv("TF_CONFIG", raising=False)
    return distributed

DISTRIBUTED = [
    ("strategy-unknown", lambda c: _dist(c).get_strategy("cluster"), ValueError, "`kind` must be one of"),
    ("multiworker-without-tf-config", lambda c: _dist(c).get_strategy("multiworker"), ValueError, "needs the TF_CONFIG environment variable"),
    ("tpu-absent", lambda c: _dist(c).get_strategy("tpu"), RuntimeError, "needs a TPU"),
    ("model-parallel-missing-block", lambda c: _dist(c).model_parallel(ModelConfig(), devices={"input": "/cpu:0"}), ValueError, "must map each block"),
]

def _transfer():
    import deepseek_nb.transfer as transfer
    return transfer

TRANSFER = [
    ("few-shot-too-many", lambda c: _transfer().few_shot(_digits().splits().train, per_class=10_000), ValueError, "`per_class` must be in [1,"),
    ("digits-as-mnist-box", lambda c: _transfer().digits_as_mnist(_digits(), box=40), ValueError, "`box` must be in [1, canvas=28]"),
    ("set-trainable-unknown-block", lambda c: _transfer().set_trainable(_model(), unfreeze=("brain",)), ValueError, "`unfreeze` must name blocks"),
    ("backbone-unknown", lambda c: _transfer().backbone("AlexNet"), ValueError, "`name` must be one of"),
]

RUNS = [
    ("out-is-current-folder", lambda c: _runs().check_target(".", overwrite=True), ValueError, "cannot be a run folder"),
    ("out-is-root", lambda c: _runs().check_target("/", overwrite=True), ValueError, "cannot be a run folder"),
    ("out-is-a-file", lambda c: _runs().check_target(c.file("notes.txt", "x")), ValueError, "is a file, not a folder"),
    ("out-is-users-folder", lambda c: _runs().check_target(c.file("thesis/ch1.tex", "x").parent, overwrite=True), ValueError, "did not make"),
    ("folder-in-use", lambda c: (_runs().FolderLock(c.tmp / "run").acquire(), _runs().FolderLock(c.tmp / "run").acquire()), ValueError, "is in use by another deepseek-nb process"),
]

def _runs():
    import deepseek_nb.runs as runs
    return runs

def _check(action, error, words):
    "`action` raises `error` from deepseek-nb's own code, in one line that holds `words`."
    with pytest.raises(error) as info:
        action()
    message = str(info.value)
    assert words in message, message
    assert "tensorflow/core" not in message and len(message) < 600 and "\n" not in message.strip(), message
    # raised by the toolkit's own check, not by TensorFlow, NumPy or the standard library further down
    raised_in = [entry.path for entry in info.traceback if Path(entry.path).parent.name == "deepseek_nb"]
    assert raised_in, f"{type(info.value).__name__} raised outside deepseek_nb: {info.traceback[-1].path}"

def _ids(cases): return [c[0] for c in cases]

@pytest.mark.parametrize("case", CONFIG, ids=_ids(CONFIG))
def test_config(case): _check(*case[1:])

GROUPS = dict(architecture=ARCHITECTURE, data=DATA, training=TRAINING, augment=AUGMENT, optimisation=OPTIMISATION,
              distributed=DISTRIBUTED, transfer=TRANSFER, runs=RUNS)
CASES = [(group, case) for group, cases in GROUPS.items() for case in cases]
CASE_IDS = [f"{group}-{case[0]}" for group, case in CASES]

def test_every_case_has_its_own_id():
    "A repeated id would make pytest rename a case, and a reader could not tell which one failed."
    for ids in (CASE_IDS, _ids(CONFIG), [" ".join(c[0]) for c in CLI]):
        assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]

@pytest.mark.parametrize("group, case", CASES, ids=CASE_IDS)
def test_bad_input(group, case, tmp_path, monkeypatch):
    name, action, error, words = case
    _check(lambda: action(Ctx(tmp_path, monkeypatch)), error, words)

CLI = [
    (["train", "--epochs", "0"], "--epochs: must be at least 1"),
    (["train", "--heads", "-2"], "--heads: must be at least 1"),
    (["train", "--width", "wide"], "--width: must be a whole number"),
    (["train", "--learning-rate", "nan"], "--learning-rate: must be a positive number"),
    (["train", "--dataset", "missing.csv"], "Unknown data set 'missing.csv'"),
    (["train", "--depth", "1000000000"], "Use depth <= 3"),
    (["train", "--width", "100000"], "needs about"),
    (["train", "--out", "."], "cannot be a run folder"),
    (["train", "--backup-seconds", "-5"], "--backup-seconds: must be 0 or more seconds"),
    (["fly"], "invalid choice: 'fly'"),
]

@pytest.mark.parametrize("argv, words", CLI, ids=[" ".join(c[0]) for c in CLI])
def test_cli(argv, words, tmp_path):
    assert_usage_error(cli(*argv, cwd=tmp_path, timeout=120), words)
    assert not (tmp_path / "runs").exists()  # a refused command leaves nothing behind

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
