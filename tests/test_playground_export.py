"""`Playground.to_cli()` and `to_code()` reproduce the controls exactly (issue 16): the command line, parsed and turned
into configurations by the CLI's own code, and the Python cell, executed, give the Playground's `model_config` and
`train_config` (and its augmentation), for a bundled image set, the text set and a user's CSV."""
import csv
import shlex
import pytest
from deepseek_nb.cli import _check_augment, _configs, _load, make_parser
from deepseek_nb.widgets import Playground


def _from_cli(line: str):
    words = shlex.split(line)
    assert words[:2] == ["deepseek-nb", "train"], line
    args = make_parser().parse_args(words[1:])
    loaded = _load(args)
    _check_augment(args, loaded)
    return _configs(args, loaded), args.augment


def _from_code(code: str, monkeypatch):
    import deepseek_nb.training
    calls = []
    monkeypatch.setattr(deepseek_nb.training, "train", lambda *args, **kwargs: calls.append((args, kwargs)))
    exec(compile(code, "<to_code>", "exec"), {})
    assert len(calls) == 1, code
    (model, _, cfg), _ = calls[0]
    return model, cfg


def _check(pg: Playground, monkeypatch):
    (model_cfg, train_cfg), augment = _from_cli(pg.to_cli())
    assert (model_cfg, train_cfg) == (pg.model_config, pg.train_config), pg.to_cli()
    assert augment == pg.augment.value
    model, cfg = _from_code(pg.to_code(), monkeypatch)
    if pg.augment.value:  # the cell builds the augmented Keras model itself
        from deepseek_nb.architecture import model_config_of
        assert "augment" in [layer.name for layer in model.layers]
        model = model_config_of(model)
    assert (model, cfg) == (pg.model_config, pg.train_config), pg.to_code()


def test_digits_with_every_control_changed(monkeypatch):
    pg = Playground(warm_start=False)
    changes = dict(depth=1, width=48, heads=2, key_dim=8, rnn="gru", rnn_units=32, dropout=0.25, l2=1e-4,
                   optimizer="sgd", learning_rate=0.01, schedule="cosine", batch_size=64, epochs=3, augment=True)
    for name, value in changes.items():
        pg.controls[name].value = value
    assert pg.train_config.min_epochs == 2  # 3 epochs lower the preset's minimum, as --epochs 3 does
    _check(pg, monkeypatch)
    pg._show_code()  # the button: both texts, in the code tab
    assert shlex.split(pg.to_cli())[-3:] == ["--epochs", "3", "--augment"]
    assert "deepseek-nb train" in pg.code.value and "default_configs(" in pg.code.value


def test_text_preset(monkeypatch):
    pg = Playground("sentence_polarity", warm_start=False)
    pg.width.value, pg.epochs.value = 64, 5
    _check(pg, monkeypatch)


def test_your_csv_with_its_columns(tmp_path, monkeypatch):
    path = tmp_path / "my reviews.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "stars"])
        for i in range(120):
            writer.writerow([f"{'good fine great' if i % 2 else 'bad awful poor'} film number {i}", i % 2])
    pg = Playground(warm_start=False)
    assert pg.load(path, text_column="review", label_column="stars") is not None
    pg.epochs.value = 2
    line = pg.to_cli()
    assert f"--dataset {shlex.quote(str(path))}" in line and "--text-column review" in line, line
    _check(pg, monkeypatch)


def test_chinese_reviews_carry_their_tokens(tmp_path, monkeypatch):
    "The bundled Chinese set and a user's Chinese CSV: the choice of character tokens travels in both exports."
    pg = Playground("zh_reviews", warm_start=False)
    assert pg.model_config.tokens == "chars"
    _check(pg, monkeypatch)
    path = tmp_path / "评价.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("评论", "情感")] + [(("质量很好，推荐" if i % 2 else "太差了，不推荐") + str(i), "正面" if i % 2 else "负面") for i in range(120)])
    assert pg.load(path, text_column="评论", label_column="情感") is not None
    assert "--tokens chars" in pg.to_cli() and "tokens='chars'" in pg.to_code()
    _check(pg, monkeypatch)


def test_nothing_to_export_before_your_data_is_loaded():
    pg = Playground(warm_start=False)
    pg.dataset.value = "your data"
    with pytest.raises(ValueError, match="Choose your data first"):
        pg.to_cli()
    pg._show_code()
    assert "Choose your data first" in pg.code.value
