"Looking inside models (deepseek_nb.inside): feature maps, filters, Grad-CAM, token contributions, attention, explorer."
import numpy as np
import pytest

import deepseek_nb  # noqa: F401 (first: keeps TensorFlow's start-up lines quiet)
import keras
from deepseek_nb.architecture import build_model, set_model_config
from deepseek_nb.config import preset
from deepseek_nb.data import Dataset, load_dataset
from deepseek_nb.training import Run
from deepseek_nb.inside import (
    attention_over_time,
    conv_blocks,
    feature_maps,
    first_filters,
    grad_cam,
    inside_explorer,
    plot_feature_maps,
    plot_filters,
    plot_grad_cam,
    token_contributions,
    token_html,
)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def digits_run(trained, tmp_path_factory):
    "The test run's digits run (the preset, 3 epochs, seeded: conftest.RECIPES)."
    return Run.load(trained("digits", tmp_path_factory.mktemp("inside") / "digits_run"))


@pytest.fixture(scope="module")
def polarity():
    data = load_dataset("sentence_polarity")
    keep = np.random.default_rng(0).permutation(len(data))[:2000]
    return Dataset("polarity_2000", "text", data.x[keep], data.y[keep], data.class_names)


@pytest.fixture(scope="module")
def text_model(polarity):
    "The sentence_polarity preset, smaller, with its wide n-gram path started at naive Bayes (untrained)."
    cfg, _ = preset("sentence_polarity")
    cfg = cfg.replace(vocab_size=2000, wide_buckets=1024, embed_dim=16, width=16)
    return build_model(cfg, adapt_data=polarity.x, adapt_labels=polarity.y, seed=0)


@pytest.fixture(scope="module")
def sunspots():
    return load_dataset("sunspots")


def series_model(sunspots, **changes):
    cfg, _ = preset("sunspots")
    return build_model(cfg.replace(**changes), adapt_data=sunspots.x[:200], seed=0)


def test_feature_maps_one_per_conv_block(digits_run, digits):
    maps = feature_maps(digits_run.model, digits.x[0])
    assert list(maps) == conv_blocks(digits_run.model) == ["act_1", "act_2"]
    assert maps["act_1"].shape == (8, 8, 32)  # same padding: the input's size
    assert maps["act_2"].shape == (4, 4, 32)  # after pool_1
    assert (maps["act_1"] >= 0).all() and maps["act_1"].max() > 0  # relu, and not all dead
    assert len(plot_feature_maps(digits_run.model, digits.x[0], channels=4).axes) == 2 * 5


@pytest.mark.parametrize("kind", ["image", "series"])
def test_feature_maps_of_a_single_block(digits, sunspots, kind):
    "One conv block: Keras hands back a single output bare, not in a list; still one map of the whole sample."
    if kind == "image":
        model, x, shape = build_model(preset("digits")[0].replace(depth=1), seed=0), digits.x[0], (8, 8, 32)
    else:
        model, x, shape = series_model(sunspots), sunspots.x[0], (20, 32)
    maps = feature_maps(model, x)
    assert list(maps) == ["act_1"] and maps["act_1"].shape == shape


def test_first_filters_are_the_first_kernel(digits_run):
    kernel = digits_run.model.get_layer("feature_extractor").get_layer("conv_1").kernel
    filters = first_filters(digits_run.model)
    assert filters.shape == tuple(kernel.shape) == (3, 3, 1, 32)
    np.testing.assert_array_equal(filters, keras.ops.convert_to_numpy(kernel))
    assert len([ax for ax in plot_filters(digits_run.model).axes if ax.images]) == 32


def test_grad_cam_shape_range_and_ink(digits_run, digits):
    model = digits_run.model
    samples = digits.x[-40:]  # several samples: one map can miss, the mean should not
    cams = [grad_cam(model, x) for x in samples]
    assert all(cam.shape == (8, 8) for cam in cams)
    assert all(cam.min() >= 0 and cam.max() <= 1 for cam in cams)
    assert max(cam.max() for cam in cams) == pytest.approx(1.0)
    ink = np.mean([cam[x > 0].mean() for cam, x in zip(cams, samples)])
    border = np.mean([cam[x == 0].mean() for cam, x in zip(cams, samples)])
    assert ink > border, (ink, border)
    other = grad_cam(model, samples[0], class_index=(int(digits.y[-40]) + 1) % 10)
    assert not np.allclose(other, cams[0])  # another class, another map
    assert "Grad-CAM: 3" in plot_grad_cam(model, samples[0], class_index=3).axes[1].get_title()


def test_token_contributions_per_token_padding_zero(text_model, polarity):
    tokens, contributions = token_contributions(text_model, polarity.x[0])
    assert len(tokens) == len(contributions) == text_model.deepseek_config.sequence_length
    padding = np.array([token == "" for token in tokens])
    words = len(polarity.x[0].split())
    assert 0 < (~padding).sum() <= words and padding.any()
    assert (contributions[padding] == 0).all()
    assert (contributions[~padding] != 0).sum() > 0
    html = token_html(text_model, polarity.x[0], class_names=polarity.class_names)
    assert html.count("<span title='contribution") == (~padding).sum()
    assert "<script" not in html and "http" not in html  # offline


def test_token_contribution_is_the_occlusion_difference(text_model):
    "One word: removing it leaves only padding, so its contribution is the logit gap between the two texts."
    probabilities = keras.ops.convert_to_numpy(text_model(keras.ops.convert_to_tensor(["good", ""])))
    logits = np.log(probabilities)
    logits -= logits.mean(axis=1, keepdims=True)  # softmax logits, up to a shift
    predicted = int(np.argmax(logits[0]))
    tokens, contributions = token_contributions(text_model, "good")
    assert tokens[0] == "good" and tokens[1:] == [""] * (len(tokens) - 1)
    assert contributions[0] == pytest.approx(logits[0, predicted] - logits[1, predicted], abs=1e-3)
    tokens, against = token_contributions(text_model, "good", class_index=1 - predicted)
    assert against[0] == pytest.approx(-contributions[0], abs=1e-3)  # two classes: the mirror image


@pytest.mark.parametrize("changes, steps", [({}, 20), (dict(pooling="max"), 10)])
def test_attention_over_time_one_value_per_step(sunspots, changes, steps):
    model = series_model(sunspots, **changes)
    attention = attention_over_time(model, sunspots.x[0])
    assert attention.shape == (model.get_layer("sequence").input.shape[1],) == (steps,)
    assert attention.sum() == pytest.approx(1.0, abs=1e-4) and (attention >= 0).all()


def test_explorer_image_from_run_folder_and_run(digits_run, digits):
    box = inside_explorer(digits_run.folder, digits)
    assert sorted(box.images) == ["attention", "feature_maps", "filters", "grad_cam"]
    assert all(image.value[:8] == b"\x89PNG\r\n\x1a\n" for image in box.images.values())
    before = {name: image.value for name, image in box.images.items()}
    box.controls["sample"].value = 5
    assert box.images["grad_cam"].value != before["grad_cam"]
    assert box.images["feature_maps"].value != before["feature_maps"]
    assert box.images["filters"].value == before["filters"]  # the filters do not depend on the sample
    assert sorted(inside_explorer(digits_run, digits.x[:3]).images) == sorted(before)
    plain = inside_explorer(digits_run.model, digits.x[:3])  # no class names anywhere: the class index
    named = inside_explorer(digits_run, digits.x[:3], class_names=[f"digit {i}" for i in range(10)])
    assert plain.images["grad_cam"].value != named.images["grad_cam"].value  # the title names the class
    assert isinstance(Run.load(digits_run.folder).model, keras.Model)


def test_explorer_text_and_series(text_model, polarity, sunspots):
    box = inside_explorer(text_model, polarity)
    before = box.html.value
    box.controls["sample"].value = 1
    assert "<span" in before and box.html.value != before and box.images == {}
    model = series_model(sunspots)
    box = inside_explorer(model, sunspots, index=3)
    before = box.images["attention"].value
    box.controls["sample"].value = 100
    assert list(box.images) == ["attention"] and box.images["attention"].value != before


def test_errors_name_the_problem(digits_run, digits, text_model, polarity):
    model = digits_run.model
    dense = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(10)], name="dense")
    dense = set_model_config(dense, preset("digits")[0].replace(attention=False))
    for look in (feature_maps, grad_cam):
        with pytest.raises(ValueError, match="needs conv blocks.*build_model"):
            look(dense, digits.x[0])
    with pytest.raises(ValueError, match="needs conv blocks"):
        first_filters(dense)
    with pytest.raises(ValueError, match=r"one sample of shape \(8, 8\).*Received: shape \(28, 28\)"):
        grad_cam(model, np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"shape \(8, 8\)"):
        feature_maps(model, digits.x[:2])
    for bad in (10, -1, 2.0, True):
        with pytest.raises(ValueError, match=r"`class_index` must be an integer in \[0, 9\]"):
            grad_cam(model, digits.x[0], class_index=bad)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        token_contributions(text_model, "fine", class_index=2)
    with pytest.raises(ValueError, match="one text"):
        token_contributions(text_model, 3)
    with pytest.raises(ValueError, match="reads text"):
        grad_cam(text_model, "a text")
    with pytest.raises(ValueError, match="attention=True"):
        attention_over_time(text_model, "a text")
    with pytest.raises(ValueError, match="give it image data"):
        inside_explorer(model, polarity)
    with pytest.raises(TypeError, match="run folder"):
        inside_explorer(42, digits)
    with pytest.raises(ValueError, match="carries no ModelConfig"):
        inside_explorer(keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten()]), digits)
    with pytest.raises(ValueError, match=r"`index` must be in \[0, 2\]"):
        inside_explorer(model, digits.x[:3], index=3)
    assert inside_explorer(dense, digits).images == {}  # nothing to draw: a message instead
