"""Every Playground control as a `deepseek-nb train` flag; `command_line` and `python_code` (issue 16)."""
import json
import shlex
import zipfile
import pytest
from conftest import cli, assert_usage_error, scaled
from deepseek_nb.cli import _check_augment, _configs, _load, command_line, make_parser, python_code
from deepseek_nb.config import ModelConfig, TrainConfig
from deepseek_nb.data import default_configs, load_dataset


def _layer_classes(run) -> list:
    "The classes of the top-level layers of a run's model.keras, read from the archive (no TensorFlow)."
    config = json.loads(zipfile.ZipFile(run / "model.keras").read("config.json"))
    return [layer["class_name"] for layer in config["config"]["layers"]]


@pytest.mark.slow
def test_new_model_flags_reach_config_json(tmp_path):
    "One real run (digits, 1 epoch) with every new model flag; config.json records each value."
    out = tmp_path / "run"
    result = cli("train", "--epochs", "1", "--quiet", "--out", out, "--rnn", "gru", "--rnn-units", "24",
                 "--key-dim", "8", "--dropout", "0.35", "--l2", "0.001", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    model = json.loads((out / "config.json").read_text())["model"]
    assert (model["rnn"], model["rnn_units"], model["key_dim"], model["dropout"], model["l2"]) == (
        "gru", 24, 8, 0.35, 0.001)
    assert "rnn=gru" in result.stdout and "augmentation" not in result.stdout
    assert "ImageAugmenter" not in _layer_classes(out)  # no augmentation without --augment


@pytest.fixture(scope="module")
def augmented_run(tmp_path_factory):
    "One real run (digits, 1 epoch) with --optimizer, --schedule and --augment: its folder and its output."
    out = tmp_path_factory.mktemp("augmented") / "run"
    result = cli("train", "--epochs", "1", "--quiet", "--out", out, "--optimizer", "rmsprop",
                 "--schedule", "cosine", "--augment", "--rnn", "none", cwd=out.parent)
    return out, result


@pytest.mark.slow
def test_optimizer_schedule_and_augment_flags_train(augmented_run):
    "config.json has the optimiser and the schedule, the model the augmentation layer in front."
    out, result = augmented_run
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((out / "config.json").read_text())
    assert (config["train"]["optimizer"], config["train"]["schedule"], config["model"]["rnn"]) == (
        "rmsprop", "cosine", "none")
    assert "with augmentation" in result.stdout
    assert _layer_classes(out)[:2] == ["InputLayer", "ImageAugmenter"]  # augmentation in front of the model


@pytest.mark.slow
def test_an_augmented_run_can_be_evaluated(augmented_run):
    out, result = augmented_run
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = cli("evaluate", "--run", out, "--dataset", "digits", "--json", cwd=out.parent)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert json.loads(evaluated.stdout)["n_samples"] == 1797


@pytest.mark.parametrize("args, message", [
    (["--rnn", "transformer"], "argument --rnn: invalid choice: 'transformer'"),
    (["--rnn-units", "0"], "argument --rnn-units: must be at least 1"),
    (["--key-dim", "eight"], "argument --key-dim: must be a whole number"),
    (["--dropout", "1"], "argument --dropout: must be at least 0 and below 1"),
    (["--dropout", "-0.1"], "argument --dropout: must be at least 0 and below 1"),
    (["--l2", "-0.5"], "argument --l2: must be a number from 0 (off) to 1"),
    (["--l2=-1e-4"], "argument --l2: must be a number from 0 (off) to 1"),
    (["--l2", "nan"], "argument --l2: must be a number from 0 (off) to 1"),
    (["--optimizer", "lion"], "argument --optimizer: invalid choice: 'lion'"),
    (["--schedule", "linear"], "argument --schedule: invalid choice: 'linear'"),
])
def test_bad_values_exit_2_naming_the_flag(tmp_path, args, message):
    "Refused by the parser: one line, status 2, no run folder, and before TensorFlow is imported."
    result = _main_without_tensorflow("train", *args, cwd=tmp_path)
    assert_usage_error(result, message)
    assert not (tmp_path / "runs").exists()


_WATCH = ("import sys; from deepseek_nb.cli import main; code = main(sys.argv[1:]); "
          "print('tensorflow imported' if 'tensorflow' in sys.modules else 'no tensorflow'); sys.exit(code)")


def _main_without_tensorflow(*args, cwd):
    "`deepseek-nb ARGS` in a fresh Python; asserts that TensorFlow was never imported."
    import subprocess, sys
    result = subprocess.run([sys.executable, "-c", _WATCH, *map(str, args)], cwd=cwd, capture_output=True,
                            text=True, timeout=scaled(120))
    assert result.stdout.strip().splitlines()[-1] == "no tensorflow", result.stdout
    return result


@pytest.mark.parametrize("dataset, kind", [("sentence_polarity", "text"), ("sunspots", "series")])
def test_augment_is_refused_for_text_and_series(tmp_path, dataset, kind):
    result = _main_without_tensorflow("train", "--dataset", dataset, "--augment", cwd=tmp_path)
    assert_usage_error(
        result, f"--augment: augmentation exists for images (turns, zooms, shifts); {dataset} holds {kind}"
    )
    assert not (tmp_path / "runs").exists()


def test_choices_come_from_the_config():
    from deepseek_nb.config import OPTIMIZERS, RNNS, SCHEDULES
    import contextlib, io
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        make_parser().parse_args(["train", "--help"])
    help_text = out.getvalue()
    for choice in (*RNNS, *OPTIMIZERS, *SCHEDULES):
        assert choice in help_text, choice


# --- command_line and python_code ---

@pytest.fixture(scope="module")
def datasets():
    return {name: load_dataset(name) for name in ("digits", "sentence_polarity", "sunspots")}


def _cases(datasets):
    "Non-default configurations, as the Playground makes them: default_configs with the controls' values."
    digits, text, series = datasets["digits"], datasets["sentence_polarity"], datasets["sunspots"]
    return [
        ("digits", digits, False, default_configs(
            digits,
            dict(optimizer="sgd", learning_rate=0.0031622776601683794, schedule="step", batch_size=64,
                 epochs=7, seed=3),
            depth=1, width=48, heads=2, key_dim=8, rnn="gru", rnn_units=40, dropout=0.25, l2=1e-5,
        )),
        ("digits", digits, True, default_configs(digits, dict(schedule="one_cycle", epochs=3), rnn="none")),
        ("sentence_polarity", text, False, default_configs(text, dict(optimizer="adamw", epochs=4, seed=2),
                                                           rnn="lstm", rnn_units=16, heads=2, dropout=0.3,
                                                           l2=1e-3, sequence_length=40)),
        ("sunspots", series, False, default_configs(series, dict(optimizer="rmsprop", schedule="exponential",
                                                                 batch_size=8, epochs=9), rnn="lstm",
                                                    width=16, key_dim=4, dropout=0.1)),
    ]


def test_command_line_round_trips_through_the_cli_parser(datasets):
    for name, data, augment, (model_cfg, train_cfg) in _cases(datasets):
        assert (model_cfg, train_cfg) != default_configs(data)  # a real change, not the preset
        line = command_line(name, model_cfg, train_cfg, augment)
        words = shlex.split(line)
        assert words[:4] == ["deepseek-nb", "train", "--dataset", name]
        args = make_parser().parse_args(words[1:])  # the CLI's own parser ...
        loaded = _load(args)
        _check_augment(args, loaded)
        assert _configs(args, loaded) == (model_cfg, train_cfg), line  # ... and its own way to the configs
        assert args.augment == augment
        for flag in ("--depth", "--width", "--heads", "--key-dim", "--rnn", "--rnn-units", "--dropout",
                     "--l2", "--optimizer", "--learning-rate", "--schedule", "--batch-size", "--epochs"):
            assert flag in words, (flag, line)  # every control written out, default or not
        assert ("--seed" in words) == (train_cfg.seed != 0)


def test_command_line_writes_load_options_and_quotes_paths(tmp_path):
    folder = tmp_path / "my data.csv"
    rows = [f"{'good fine great' if i % 2 else 'bad awful poor'} {i},{i % 2}" for i in range(60)]
    folder.write_text("\n".join(["review,stars", *rows]) + "\n")
    data = load_dataset(str(folder), text_column="review", label_column="stars")
    model_cfg, train_cfg = default_configs(data, dict(epochs=2), dropout=0.2)
    line = command_line(str(folder), model_cfg, train_cfg, text_column="review", label_column="stars")
    words = shlex.split(line)
    assert words[3] == str(folder) and shlex.quote(str(folder)) in line  # one shell word despite the space
    assert words[words.index("--text-column") + 1] == "review"
    assert words[words.index("--label-column") + 1] == "stars"
    args = make_parser().parse_args(words[1:])
    assert _configs(args, _load(args)) == (model_cfg, train_cfg)


def test_command_line_refuses_what_it_cannot_say(datasets):
    digits = datasets["digits"]
    model_cfg, train_cfg = default_configs(digits)
    with pytest.raises(ValueError, match="`bidirectional`=True has no `deepseek-nb train` flag"):
        command_line("digits", model_cfg.replace(bidirectional=True), train_cfg, data=digits)
    with pytest.raises(ValueError, match="`patience`=2 has no `deepseek-nb train` flag"):
        command_line("digits", model_cfg, train_cfg.replace(patience=2), data=digits)
    with pytest.raises(ValueError, match="`window` has no `deepseek-nb train` flag"):
        command_line("digits", model_cfg, train_cfg, data=digits, window=10)
    series = datasets["sunspots"]
    with pytest.raises(ValueError, match="`augment` exists for images"):
        command_line("sunspots", *default_configs(series), augment=True, data=series)


def _run_code(code: str, monkeypatch) -> dict:
    "Execute a `python_code` cell with `train` replaced by a function that records its arguments."
    import deepseek_nb.training
    calls = []
    monkeypatch.setattr(deepseek_nb.training, "train", lambda *args, **kwargs: calls.append((args, kwargs)))
    namespace = {}
    exec(compile(code, "<python_code>", "exec"), namespace)
    assert len(calls) == 1
    return dict(zip(("model", "data", "cfg"), calls[0][0]), **calls[0][1])


def test_python_code_trains_the_same_configurations(datasets, monkeypatch):
    for name, data, augment, (model_cfg, train_cfg) in _cases(datasets):
        if augment:
            continue  # below: it builds a Keras model
        code = python_code(name, model_cfg, train_cfg, data=data)
        call = _run_code(code, monkeypatch)
        assert (call["model"], call["cfg"]) == (model_cfg, train_cfg), code
        assert call["out"] == f"runs/{name}" and call["data"].name == name


def test_python_code_with_augmentation(datasets, monkeypatch):
    from deepseek_nb.architecture import model_config_of
    name, data, augment, (model_cfg, train_cfg) = _cases(datasets)[1]
    assert augment
    call = _run_code(python_code(name, model_cfg, train_cfg, augment), monkeypatch)
    assert model_config_of(call["model"]) == model_cfg and call["cfg"] == train_cfg
    assert "augment" in [layer.name for layer in call["model"].layers]
    splits = call["splits"]
    assert len(splits.train.y) + len(splits.validation.y) + len(splits.test.y) == len(data)


def test_python_code_keeps_fields_without_a_flag(datasets, monkeypatch):
    digits = datasets["digits"]
    model_cfg, train_cfg = default_configs(digits, dict(epochs=5))
    model_cfg, train_cfg = model_cfg.replace(bidirectional=True), train_cfg.replace(patience=2)
    code = python_code("digits", model_cfg, train_cfg, data=digits)
    assert "bidirectional=True" in code and "patience=2" in code
    call = _run_code(code, monkeypatch)
    assert (call["model"], call["cfg"]) == (model_cfg, train_cfg)


def test_command_line_round_trips_an_image_folder_with_its_image_size(root, tmp_path):
    "A user's folder of images, resized: --image-size goes on the command line, and augmentation with it."
    folder = root / "data" / "examples" / "letters" / "train"
    data = load_dataset(str(folder), image_size=(12, 12))
    model_cfg, train_cfg = default_configs(data, dict(epochs=3, seed=5), width=16, rnn="gru")
    words = shlex.split(command_line(str(folder), model_cfg, train_cfg, True, data=data, image_size=(12, 12)))
    assert words[words.index("--image-size") + 1:words.index("--image-size") + 3] == ["12", "12"]
    args = make_parser().parse_args(words[1:])
    assert _configs(args, _load(args)) == (model_cfg, train_cfg) and args.augment
    assert model_cfg.input_shape[:2] == (12, 12)
    code = python_code(str(folder), model_cfg, train_cfg, data=data, image_size=(12, 12))
    assert f"data = load_dataset({str(folder)!r}, image_size=(12, 12))" in code
    assert "out='runs/letters-train'" in code  # run_name: a folder called train is named with its parent
