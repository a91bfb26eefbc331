"""The Playground in Chinese: deepseek_nb.i18n (tr, translate, missing) and Chinese text in figures."""
import dataclasses, re, warnings
import pytest
from conftest import scaled

ipywidgets = pytest.importorskip("ipywidgets")
W = ipywidgets
from deepseek_nb import i18n
from deepseek_nb.i18n import tr, translate, translate_html, translate_text, missing, visible_strings
from deepseek_nb.config import ModelConfig, TrainConfig, PRESETS, OPTIMIZERS, SCHEDULES, RNNS

# What a Chinese page may show in Latin letters: configuration fields and their values, data set names, units,
# file kinds; built here from the configuration, not from i18n.KEEP, so the module cannot excuse itself.
ALLOWED = (
    {f.name for f in dataclasses.fields(ModelConfig) + dataclasses.fields(TrainConfig)}
    | set(PRESETS) | set(OPTIMIZERS) | set(SCHEDULES) | set(RNNS)
    | {"FLOPs", "RMSE", "MB", "kB", "GB", "CSV", "csv", "npz", "zip", "None"}
)


def english_left(text: str) -> list[str]:
    "ASCII words of 3+ letters in `text` that are not allowed names (flags and file names aside)."
    text = re.sub(r"--[a-z][a-z-]*|[\w.-]+\.(?:csv|npz|zip|txt)\b", " ", text)
    return [w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)
            if sum(c.isalpha() for c in w) >= 3 and w not in ALLOWED]


def test_tr_fills_values_and_refuses_unknown_languages():
    assert tr("Stop", "zh") == "停止" and tr("Stop", "en") == "Stop"
    assert tr("training: epoch {epoch} / {epochs}", "zh", epoch=2, epochs=9) == "训练中：第 2 / 9 个轮次"
    assert tr("training: epoch {epoch} / {epochs}", "en", epoch=2, epochs=9) == "training: epoch 2 / 9"
    assert tr("a string nobody listed", "zh") == "a string nobody listed"
    with pytest.raises(ValueError, match=r"`lang` must be one of 'en', 'zh'\. Received: lang='de'"):
        tr("Stop", "de")
    with pytest.raises(ValueError, match="lang='ZH'"):
        translate(W.VBox(), "ZH")


def test_every_template_keeps_its_placeholders_and_has_chinese():
    names = lambda s: sorted(re.findall(r"\{(\w+)\}", s))
    assert [k for k, v in i18n.ZH.items() if names(k) != names(v)] == []
    untranslated = lambda v: english_left(re.sub(r"\{\w+\}", " ", v))  # placeholders are names, not words
    assert [k for k, v in i18n.ZH.items() if untranslated(v)] == []


def test_translate_text_finds_the_template_of_filled_in_text():
    assert translate_text("done", "zh") == "完成"
    assert translate_text("loaded reviews.csv", "zh") == "已加载 reviews.csv"
    assert english_left("已加载 reviews.csv") == [] and english_left("loaded reviews.csv") == ["loaded"]
    assert translate_text("289 windows of 20 steps, regression", "zh") == "289 个窗口，每个 20 步，回归"
    assert translate_text("x.zip is not a readable zip file", "zh") == "x.zip 不是可读取的 zip 文件"
    status = '<span class="dsnb-stopped">stopped</span>: 3 epochs in 2.5 s, test RMSE 0.123'
    zh = '<span class="dsnb-stopped">已停止</span>：3 个轮次，用时 2.5 秒，测试 RMSE 0.123'
    assert translate_html(status, "zh") == zh
    assert translate_html("<i>loaded a&amp;b.csv</i>", "zh") == "<i>已加载 a&amp;b.csv</i>"


def test_translate_changes_labels_not_values_and_wakes_no_observer():
    woken = []
    rnn = W.Dropdown(options=["lstm", "none"], value="none", description="rnn")
    data = W.Dropdown(options=["digits", "your data"], value="your data", description="dataset")
    for w in (rnn, data):
        w.observe(woken.append, "value")
    css = W.HTML("<style>.dsnb-note {color: #444}</style>")
    status = W.HTML("ready")
    tabs = W.Tab([W.HTML("<i>no runs yet</i>"), W.HTML()], titles=["run history", "attention"])
    box = W.VBox([css, W.HBox([W.Button(description="Train", tooltip="Reset"), status]), rnn, data,
                  W.Text(placeholder="path: .csv, .npz, folder of class folders"), tabs,
                  W.IntSlider(description="key dim"), W.Label("largest losses")])
    assert translate(box, "zh") is box
    assert (data.value, data.label) == ("your data", "你的数据")
    assert data.options == (("digits", "digits"), ("你的数据", "your data"))
    assert (rnn.value, rnn.label) == ("none", "none")  # a configuration value: kept
    assert woken == []
    assert css.value == "<style>.dsnb-note {color: #444}</style>"
    assert status.value == "就绪" and box.children[1].children[0].description == "训练"
    assert box.children[1].children[0].tooltip == "重置"
    assert tabs.titles == ("训练记录", "注意力") and tabs.children[0].value == "<i>还没有训练记录</i>"
    assert box.children[4].placeholder.startswith("路径")
    assert box.children[6].description == "key_dim"  # the field's name, as in the code
    assert box.children[7].value == "损失最大的样本"
    status.value = "preparing the model…"  # no follow: later values stay as set
    assert status.value == "preparing the model…"


def test_follow_translates_later_values():
    status = W.HTML("ready")
    translate(W.VBox([status]), "zh", follow=True)
    status.value = '<span class="dsnb-error">training failed: ValueError: bad</span>'
    assert status.value == '<span class="dsnb-error">训练失败：ValueError: bad</span>'
    status.value = "training: epoch 4 / 40"
    assert status.value == "训练中：第 4 / 40 个轮次"


def test_missing_lists_what_is_left_in_english():
    box = W.VBox([W.HTML("<h4>Model</h4><p>an unlisted remark</p>"), W.Button(description="Load"),
                  W.IntSlider(description="depth"),
                  W.Dropdown(options=["adam", "sgd"], description="optimizer")])
    shown = ["Model", "an unlisted remark", "Load", "depth", "optimizer", "adam", "sgd"]
    assert visible_strings(box) == shown
    assert missing(box, "zh") == ["an unlisted remark"]
    assert missing(translate(box, "zh"), "zh") == ["an unlisted remark"]
    assert missing(box, "en") == []


def test_readout_and_data_summaries_have_no_english_left(root):
    from deepseek_nb.config import preset
    from deepseek_nb.data import data_note, load_dataset
    from deepseek_nb.widgets import config_readout
    model, training = preset("digits")
    html, ok = config_readout(model.to_dict(), training.to_dict())
    assert ok and "<th>block</th>" in html
    zh = translate_html(html, "zh")
    assert "<th>模块</th>" in zh and "训练所需内存" in zh
    assert [s for s in re.split(r"<[^>]+>", zh) if english_left(s)] == []
    bad, ok = config_readout(dict(model.to_dict(), depth=6), training.to_dict())  # 8x8 pooled to nothing
    assert not ok and "这个配置无法工作。" in translate_html(bad, "zh")  # the validator's message stays English
    for name in ("digits", root / "data/examples/reviews.csv", "zh_reviews"):
        data = load_dataset(str(name), **({} if name in ("digits", "zh_reviews") else dict(text_column="review",
                                                                            label_column="sentiment")))
        note = data_note(data, model if name == "digits" else data.model_config())
        for line in note.split("\n"):
            assert english_left(translate_text(line, "zh")) == [], line


@pytest.fixture(scope="module")
def playground():
    from deepseek_nb.widgets import Playground
    return Playground(warm_start=False)


def test_playground_translated_has_no_english_left(playground):
    english = visible_strings(playground.widget)
    assert {"Train", "Stop", "run history", "dataset", "block"} <= set(english)  # the walk reaches them
    translate(playground.widget, "zh", follow=True)
    shown = visible_strings(playground.widget)
    assert len(shown) == len(english)
    assert [s for s in shown if english_left(s)] == []
    assert missing(playground.widget, "zh") == []
    playground.dataset.value = "sunspots"  # a new readout and data summary, set in English by the Playground
    assert playground.dataset.label == "sunspots"
    assert [s for s in visible_strings(playground.widget) if english_left(s)] == []


@pytest.mark.slow
def test_playground_run_in_chinese():
    """A short run on `Playground(lang="zh")`: status line, run table and the analysis tabs filled after the run
    (error analysis) come out in Chinese."""
    from deepseek_nb.widgets import Playground
    playground = Playground(lang="zh", warm_start=False)
    playground.controls["epochs"].value = 1
    run = playground.train(block=True, timeout=scaled(300))
    assert run is not None, playground.status.value
    assert playground.status.value.startswith('<span class="dsnb-done">完成</span>：1 个轮次')
    assert "<th>最佳验证损失</th>" in playground.history_table.value
    assert [s for s in visible_strings(playground.widget) if english_left(s)] == []


def test_playground_zh_has_no_english_left():
    from deepseek_nb.widgets import Playground
    pg = Playground(lang="zh", warm_start=False)
    shown = visible_strings(pg.widget)
    assert "训练" in shown and "就绪" in shown
    assert [s for s in shown if english_left(s)] == []
    pg.status.value = "training: epoch 1 / 3"  # a later status line, as the training thread sets it
    assert pg.status.value == "训练中：第 1 / 3 个轮次"


def test_chinese_figure_title_draws_without_missing_glyphs():
    from deepseek_nb.plotting import figure_png, new_figure, use_cjk_font
    font = use_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed: apt-get install fonts-noto-cjk (.ci/run installs it)")
    fig = new_figure((3, 1.5))
    fig.subplots().set_title("训练曲线：验证损失 (loss)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = figure_png(fig)
    assert png[:4] == b"\x89PNG"
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    assert use_cjk_font() == font
