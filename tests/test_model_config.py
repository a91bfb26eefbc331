"""A model carries the configuration it was built from (issue 15): a run folder records that configuration, not the
data set's preset, and `Run.load` gives back a run equal to the one saved."""
import json
import numpy as np
import pytest
import deepseek_nb
from deepseek_nb.architecture import build_model, model_config_of, set_model_config
from deepseek_nb.config import ModelConfig, TrainConfig, preset
from deepseek_nb.data import load_dataset
from deepseek_nb.training import Run, train


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_folder_records_the_models_own_config(digits, tmp_path):
    cfg = ModelConfig(depth=1, width=12, rnn="gru", rnn_units=10, heads=1, key_dim=6, dropout=0.1)
    assert cfg != preset("digits")[0]
    run = train(build_model(cfg, seed=0), digits, TrainConfig(epochs=2, batch_size=128), out=tmp_path / "run")
    written = json.loads((tmp_path / "run" / "config.json").read_text())["model"]
    assert ModelConfig.from_dict(written) == cfg
    loaded = Run.load(tmp_path / "run")
    assert loaded.model_config == cfg and model_config_of(loaded.model) == cfg
    assert loaded == run
    changed = Run.load(tmp_path / "run")
    kernel = changed.model.get_layer("head").get_layer("output").kernel
    kernel.assign_add(np.ones(kernel.shape, "float32"))
    assert changed != run  # weights differ


def test_a_model_built_by_hand_needs_its_config_for_a_folder(digits, tmp_path):
    import keras
    inputs = keras.Input((8, 8))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="set_model_config"):
        train(model, digits, TrainConfig(epochs=1), out=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    run = train(model, digits, TrainConfig(epochs=1, batch_size=256))  # no folder: trains, with the preset as a stand-in
    assert run.epochs_run == 1
