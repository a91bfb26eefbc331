"""`ErrorAnalysis` without a browser: clicks on confusion cells, dropdowns, largest losses, texts, series, and
cleanlab's suspects on digits with labels deliberately changed."""
import html, warnings
import numpy as np
import pytest
from deepseek_nb.data import Dataset, Split, load_dataset
from deepseek_nb.evaluation import Evaluation, evaluate
from deepseek_nb.error_analysis import ErrorAnalysis


def _classification(split: Split, kind: str, class_names: list, probabilities) -> Evaluation:
    "An `Evaluation` of given class probabilities (losses and confusion computed as `evaluate` does)."
    from sklearn.metrics import confusion_matrix
    y = split.y.astype(int)
    losses = -np.log(np.clip(probabilities[np.arange(len(y)), y], 1e-12, 1.0))
    confusion = confusion_matrix(y, probabilities.argmax(-1), labels=list(range(len(class_names))))
    metrics = dict(accuracy=float((probabilities.argmax(-1) == y).mean()), loss=float(losses.mean()))
    return Evaluation(None, split, kind, class_names, probabilities, losses, metrics, None, confusion, None)


@pytest.fixture(scope="module")
def digits():
    from sklearn.linear_model import LogisticRegression
    data = load_dataset("digits")
    splits = data.splits(0.15, 0.2, 0)
    flat = lambda part: part.x.reshape(len(part), -1)
    # a weak model (few iterations, few features), so that several cells off the diagonal are filled
    with warnings.catch_warnings():  # stopped early on purpose: lbfgs says it did not converge
        warnings.simplefilter("ignore")
        model = LogisticRegression(max_iter=30).fit(flat(splits.train)[:, ::4], splits.train.y)
    probabilities = model.predict_proba(flat(splits.test)[:, ::4])
    return data, splits, _classification(splits.test, "image", data.class_names, probabilities)


def _button(analysis: ErrorAnalysis, true: int, predicted: int):
    grid = analysis.grid.children[0]
    button = grid.children[(len(analysis.evaluation.class_names) + 1) * (true + 1) + 1 + predicted]
    assert button._dom_classes == (f"dsnb-cm-{true}-{predicted}",)
    return button


def test_a_click_shows_exactly_the_samples_of_its_cell(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train, max_examples=1000)
    y, guess = splits.test.y, result.predictions.argmax(-1)
    mistakes = [(t, p) for t, p in zip(*np.nonzero(result.confusion)) if t != p]
    assert len(mistakes) >= 5, result.confusion  # the weak model leaves enough to click
    for t, p in mistakes + [(3, 3)]:
        _button(analysis, t, p).click()
        shown = analysis.cell_view.frame
        expected = np.flatnonzero((y == t) & (guess == p))
        assert len(shown) == result.confusion[t, p] == len(expected)
        assert sorted(shown["index"]) == sorted(expected)
        assert list(shown["loss"]) == sorted(shown["loss"], reverse=True)  # largest loss first
        assert list(shown["source"]) == [data.sources[splits.test.index[i]] for i in shown["index"]]
        assert (analysis.true_pick.value, analysis.predicted_pick.value) == (t, p)
        assert analysis.cell_view.table.value.count("</tr>") == len(shown) + 1
        assert analysis.cell_view.gallery.value.count("<figure") == len(shown)
        assert f"true {data.class_names[t]} and predicted {data.class_names[p]}</b>: {len(shown)} samples" \
            in analysis.cell_view.caption.value


def test_the_grid_counts_and_colours(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train)
    n = len(data.class_names)
    grid = analysis.grid.children[0]
    assert len(grid.children) == (n + 1) ** 2
    buttons = [b for b in grid.children if hasattr(b, "click")]
    assert [int(b.description) for b in buttons] == result.confusion.ravel().tolist()
    shares = result.confusion / result.confusion.sum(1, keepdims=True)
    for t, p in zip(*np.nonzero(shares == 0)):  # empty cells are white
        assert _button(analysis, t, p).style.button_color == "rgb(255, 255, 255)"
    t = int(np.argmax(np.diag(shares)))  # the best-recognised class: a dark blue cell, white digits
    assert _button(analysis, t, t).style.text_color == "white"
    red, green, blue = map(int, _button(analysis, t, t).style.button_color[4:-1].split(","))
    assert blue > red and blue > green
    t, p = np.unravel_index(np.argmax(shares - np.diag(np.diag(shares))), shares.shape)  # the worst mistake
    red, green, blue = map(int, _button(analysis, t, p).style.button_color[4:-1].split(","))
    assert red > blue and red > green
    assert analysis.tabs.titles == ("confusion matrix", "largest losses", "label errors (train)")
    # it opens on the commonest mistake
    off = result.confusion - np.diag(np.diag(result.confusion))
    picked = analysis.true_pick.value, analysis.predicted_pick.value
    assert picked == np.unravel_index(off.argmax(), off.shape)


def test_dropdowns_pick_cells_and_any(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train, max_examples=1000)
    analysis.true_pick.value = 5
    analysis.predicted_pick.value = None
    assert len(analysis.cell_view.frame) == result.confusion[5].sum()
    analysis.true_pick.value = None
    analysis.predicted_pick.value = 8
    assert len(analysis.cell_view.frame) == result.confusion[:, 8].sum()
    analysis.show("7", "1")
    assert len(analysis.cell_view.frame) == result.confusion[7, 1]
    assert (analysis.true_pick.value, analysis.predicted_pick.value) == (7, 1)


def test_max_examples_caps_what_a_cell_draws(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train, max_examples=5)
    analysis.show(4, 4)
    assert len(analysis.cell_view.frame) == 5 < result.confusion[4, 4]
    caption = analysis.cell_view.caption.value
    assert f"{result.confusion[4, 4]} samples, the 5 least confident shown" in caption
    assert list(analysis.cell_view.frame["index"]) == list(result.examples(true=4, predicted=4)["index"][:5])


def test_a_class_that_does_not_exist_is_refused(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train)
    before = analysis.cell_view.frame
    with pytest.raises(ValueError, match=r"`true` must be a class name \('0', '1', .*Received: true='eleven"):
        analysis.show(true="eleven")
    with pytest.raises(ValueError, match=r"`predicted` must be .* index in \[0, 9\].*Received: predicted=10"):
        analysis.show(predicted=10)
    assert analysis.cell_view.frame is before  # nothing changed


def test_largest_losses_sorted_and_follow_the_slider(digits):
    data, splits, result = digits
    analysis = ErrorAnalysis(result, data, splits.train, k=5)
    top = analysis.top_view.frame
    assert len(top) == 5 and list(top["loss"]) == sorted(result.losses, reverse=True)[:5]
    analysis.k.value = 17
    top = analysis.top_view.frame
    assert len(top) == 17
    assert list(top["index"]) == list(np.argsort(-result.losses, kind="stable")[:17])
    assert all(np.diff(top["loss"]) <= 0)
    assert analysis.top_view.gallery.value.count("data:image/png;base64,") == 17


def test_text_samples_are_shown_as_text():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    data = load_dataset("sentence_polarity")
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(data), 1500, replace=False))
    small = Dataset("polarity, 1500", "text", data.x[rows], data.y[rows], data.class_names)
    splits = small.splits(0.15, 0.2, 0)
    vectorizer = TfidfVectorizer().fit(splits.train.x)
    model = LogisticRegression().fit(vectorizer.transform(splits.train.x), splits.train.y)
    probabilities = model.predict_proba(vectorizer.transform(splits.test.x))
    result = _classification(splits.test, "text", small.class_names, probabilities)
    analysis = ErrorAnalysis(result, small, splits.train, max_examples=1000)
    analysis.show(0, 1)
    shown = analysis.cell_view.frame
    assert len(shown) == result.confusion[0, 1] > 0
    assert analysis.cell_view.gallery.value == ""  # texts are not drawn
    table = analysis.cell_view.table.value
    first = splits.test.x[shown["index"].iloc[0]]
    assert html.escape(first[:60]) in table and table.count("</tr>") == len(shown) + 1


def test_series_regression_shows_the_worst_predictions():
    data = load_dataset("sunspots")
    splits = data.splits(0.15, 0.2, 0)
    part = splits.test
    rng = np.random.default_rng(0)
    predictions = part.y + rng.normal(0, 5, len(part)) * np.linspace(0.2, 2, len(part))
    losses = (predictions - part.y) ** 2
    metrics = dict(rmse=float(np.sqrt(losses.mean())), mae=float(np.sqrt(losses).mean()), r2=0.5)
    result = Evaluation(None, part, "series", None, predictions, losses, metrics)
    analysis = ErrorAnalysis(result, data, splits.train, k=7)
    assert analysis.tabs.titles == ("worst predictions",)
    worst = analysis.top_view.frame
    assert list(worst["index"]) == list(np.argsort(-losses, kind="stable")[:7])
    np.testing.assert_allclose(worst["predicted"] - worst["true"], (predictions - part.y)[worst["index"]])
    assert list(worst["source"]) == [data.sources[part.index[i]] for i in worst["index"]]
    assert analysis.overview.value[:4] == b"\x89PNG" and analysis.top_view.gallery.value.count("<svg") == 7
    with pytest.raises(ValueError, match="no confusion matrix"):
        analysis.show(true=1)
    with pytest.raises(ValueError, match="no labels to suspect"):
        analysis.find_suspects()


def test_update_shows_another_run_in_the_same_widget(digits):
    data, splits, result = digits
    sunspots = load_dataset("sunspots")
    part = sunspots.splits().test
    metrics = dict(rmse=1.0, mae=1.0, r2=0.9)
    regression = Evaluation(None, part, "series", None, part.y + 1.0, np.ones(len(part)), metrics)
    analysis = ErrorAnalysis(regression, sunspots)
    widget, tabs = analysis.widget, analysis.tabs
    assert analysis.update(result, data, splits.train) is analysis
    assert analysis.widget is widget and analysis.tabs is tabs
    assert analysis.tabs.titles[0] == "confusion matrix"
    assert f"<b>{len(splits.test)} image samples</b>" in analysis.status.value


def test_wrong_inputs_get_clear_errors(digits):
    data, splits, result = digits
    sunspots = load_dataset("sunspots")
    with pytest.raises(ValueError, match="does not hold the samples of the evaluation"):
        ErrorAnalysis(result, sunspots)
    with pytest.raises(ValueError, match="does not hold the samples of `train_split`"):
        ErrorAnalysis(result, data, Split(splits.train.x[::-1], splits.train.y, splits.train.index))
    with pytest.raises(TypeError, match="`evaluation` must be an Evaluation"):
        ErrorAnalysis("report")
    with pytest.raises(TypeError, match="`suspects` must be"):
        ErrorAnalysis(result, data, splits.train, suspects=5)
    without = ErrorAnalysis(result)  # no data: rows for sources, no suspects
    assert without.suspects_button.disabled and "pass `data`" in without.suspects_status.value
    assert without.cell_view.frame["source"].str.startswith("index ").all()
    with pytest.raises(ValueError, match="need the data set"):
        without.find_suspects()


def _noisy_digits(data, splits, changed: int = 15):
    "Digits with `changed` labels of the training split moved to another class (seeded)."
    rng = np.random.default_rng(0)
    flipped = np.sort(rng.choice(splits.train.index, changed, replace=False))
    y = data.y.copy()
    y[flipped] = (y[flipped] + rng.integers(1, 10, changed)) % 10
    return Dataset("digits, labels changed", "image", data.x, y, data.class_names, data.info), flipped


def test_changed_labels_are_among_the_suspects(digits):
    data, splits, result = digits
    noisy, flipped = _noisy_digits(data, splits)
    analysis = ErrorAnalysis(result, noisy, splits.train)
    analysis.find_suspects()
    suspects = analysis.suspects
    # 14 of the 15: cleanlab's pruning (every `filter_by` but predicted != given) keeps row 1165, an 8
    # labelled 1 that the quick model gives the label 1 a probability of 0.000 for; measured, seeded
    caught = set(flipped) & set(suspects["row"])
    assert len(caught) >= 14, sorted(set(flipped) - caught)
    assert set(suspects["row"]) <= set(splits.train.index)  # only the training split
    assert len(suspects) < 2 * len(flipped)  # most suspects are the changed labels: a short list to look at
    assert len(caught & set(suspects["row"][:len(flipped)])) >= 12  # and they come first
    given = [noisy.class_names[noisy.y[r]] for r in suspects["row"]]
    assert list(suspects["given"]) == given and (suspects["given"] != suspects["guess"]).all()
    status = analysis.suspects_status.value
    assert f"{len(suspects)} suspects among {len(splits.train)} training samples" in status
    assert analysis.suspects_view.gallery.value.count("<figure") == min(len(suspects), analysis.max_examples)


def test_the_button_finds_suspects_in_the_background(digits):
    data, splits, result = digits
    noisy, flipped = _noisy_digits(data, splits)
    analysis = ErrorAnalysis(result, noisy, splits.train)
    assert analysis.suspects is None  # nothing is fitted before the button is pressed
    analysis.suspects_button.click()
    analysis._worker.join(120)
    assert not analysis.suspects_button.disabled
    assert len(set(flipped) & set(analysis.suspects["row"])) >= 14
    assert " s" in analysis.suspects_status.value.split("quick model in")[1]


def test_suspects_found_before_are_shown_without_fitting(digits):
    data, splits, result = digits
    rows, guesses = [int(splits.train.index[0]), int(splits.train.index[5])], [3, 4]
    analysis = ErrorAnalysis(result, data, splits.train, suspects=(rows, guesses))
    assert list(analysis.suspects["row"]) == rows and list(analysis.suspects["guess"]) == ["3", "4"]
    assert "(given)" in analysis.suspects_status.value
    clean = ErrorAnalysis(result, data, splits.train, suspects=([], []))
    assert len(clean.suspects) == 0 and "no suspected label errors" in clean.suspects_view.caption.value
    assert clean.suspects_view.gallery.value == "" and clean.suspects_view.table.value == ""


def test_an_untrained_keras_model_through_evaluate(digits):
    from deepseek_nb.architecture import build_model
    from deepseek_nb.config import preset
    data, splits, _ = digits
    model_cfg, _ = preset("digits")
    small = model_cfg.replace(depth=1, width=8, rnn="none", heads=1, key_dim=8)
    result = evaluate(build_model(small), splits.test)
    analysis = ErrorAnalysis(result, data, splits.train, max_examples=1000)
    t, p = np.unravel_index(result.confusion.argmax(), result.confusion.shape)
    _button(analysis, t, p).click()
    assert len(analysis.cell_view.frame) == result.confusion[t, p]
    expected = result.examples(true=int(t), predicted=int(p))["index"]
    assert list(analysis.cell_view.frame["index"]) == list(expected)


def test_an_empty_widget_waits_for_its_first_update(digits):
    "What the Playground holds before its first run: no tabs, a hint, then a run after `update`."
    data, splits, result = digits
    waiting = ErrorAnalysis()
    assert waiting.tabs.children == () and waiting.suspects_button.disabled
    assert "Nothing evaluated yet" in waiting.status.value
    with pytest.raises(ValueError, match="Nothing to show yet"):
        waiting.show(1, 1)
    waiting.update(result, data, splits.train)
    assert not waiting.suspects_button.disabled and len(waiting.tabs.children) == 3
    _button(waiting, 2, 2).click()
    assert len(waiting.cell_view.frame) == min(result.confusion[2, 2], waiting.max_examples)
