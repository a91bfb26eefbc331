"""Configurations that cannot be bent, sizes refused before any work, and a Playground that starts one training at a time (issue 13)."""
import dataclasses, threading, time
import pytest
from conftest import scaled
from deepseek_nb.config import ModelConfig, TrainConfig, preset, PRESETS, MAX_LAYERS

# --- immutable configurations --------------------------------------------------------------------------------

@pytest.mark.parametrize("cfg, name, value", [(TrainConfig(), "optimizer", "adagrad"), (TrainConfig(), "batch_size", 0),
                                              (TrainConfig(), "epochs", 0), (ModelConfig(), "heads", 0), (ModelConfig(), "depth", 3)])
def test_a_made_config_cannot_be_changed(cfg, name, value):
    before = getattr(cfg, name)
    with pytest.raises(dataclasses.FrozenInstanceError) as caught:
        setattr(cfg, name, value)
    message = str(caught.value)
    assert message == (f"{type(cfg).__name__} cannot be changed after it is made (it was validated then): `{name}` stays {before!r}. "
                       f"Use cfg = cfg.replace({name}={value!r}), which returns a validated copy")
    assert "\n" not in message and getattr(cfg, name) == before
    with pytest.raises(AttributeError, match=r"cfg.replace\(" + name + r"=\.\.\.\)"): delattr(cfg, name)
    assert getattr(cfg, name) == before

def test_unknown_attribute_is_refused_not_added():
    cfg = TrainConfig()
    with pytest.raises(AttributeError, match="TrainConfig has no field `optimiser`"): cfg.optimiser = "sgd"
    assert not hasattr(cfg, "optimiser")

@pytest.mark.parametrize("changes, message", [
    (dict(optimizer="adagrad"), "`optimizer` must be one of 'adam', 'adamw', 'sgd', 'rmsprop'. Received: optimizer='adagrad'"),
    (dict(batch_size=0), "`batch_size` must be an integer >= 1. Received: batch_size=0"),
    (dict(epochs=0), "`epochs` must be an integer >= 1. Received: epochs=0"),
    (dict(optimiser="sgd"), "Unknown TrainConfig field(s): optimiser. Known fields: optimizer,"),
])
def test_replace_validates(changes, message):
    with pytest.raises(ValueError) as caught: TrainConfig().replace(**changes)
    assert message in str(caught.value)

def test_replace_returns_a_new_valid_config_and_json_still_round_trips():
    cfg = TrainConfig()
    sgd = cfg.replace(optimizer="sgd", batch_size=8)
    assert (cfg.optimizer, cfg.batch_size, sgd.optimizer, sgd.batch_size) == ("adam", 32, "sgd", 8)
    assert TrainConfig.from_json(sgd.to_json()) == sgd
    model = ModelConfig(input_kind="series", input_shape=(20, 2), task="regression")
    assert ModelConfig.from_json(model.to_json()) == model and hash(ModelConfig.from_json(model.to_json())) == hash(model)

# --- sizes refused before any loop over layers (timings belong in bench/, never in asserts) -------------------

@pytest.mark.parametrize("fields, message", [
    (dict(depth=1_000_000_000), "`depth`=1000000000 with `pooling`='max' (pool_size=2) shrinks the 8x8 input to nothing. Use depth <= 3"),
    (dict(depth=1_000_000_000, input_shape=(1000, 1000), pool_size=10), "Use depth <= 3"),
    (dict(depth=1_000_000_000, pooling="none"), f"`depth` must be at most {MAX_LAYERS}"),
    (dict(depth=1_000_000_000, pool_size=1), f"`depth` must be at most {MAX_LAYERS}"),
    (dict(dense_layers=1_000_000_000), f"`dense_layers` must be at most {MAX_LAYERS}"),
])
def test_huge_layer_counts_are_refused(fields, message):
    with pytest.raises(ValueError) as caught:
        ModelConfig(**fields)
    assert message in str(caught.value) and "\n" not in str(caught.value)

def test_the_cli_refuses_depth_1e9_at_once():
    from conftest import cli, assert_usage_error
    result = cli("train", "--depth", "1000000000", "--epochs", "1")  # cli's timeout guards against a hang
    assert_usage_error(result, "Use depth <= 3")

# --- memory bound -------------------------------------------------------------------------------------------

GB = 10**9

def _suggested(message: str) -> int: return int(message.split("at most ~")[1].rstrip(")."))

def test_width_100000_is_refused_with_the_estimate_and_a_width_that_fits():
    from deepseek_nb.architecture import check_memory
    cfg = ModelConfig(width=100000)
    with pytest.raises(ValueError) as caught:
        check_memory(cfg, 32, available=20 * GB)
    message = str(caught.value)
    assert message.startswith("`width`=100000 needs about 1.44 TB to train with batch_size=32 (parameters, Adam state and activations); "
                              "this machine has 20 GB available. Use a smaller width (at most ~")
    width = _suggested(message)
    assert 1000 < width < 100000
    assert check_memory(cfg.replace(width=width), 32, available=20 * GB)["needed"] <= 20 * GB
    with pytest.raises(ValueError): check_memory(cfg.replace(width=width + 1), 32, available=20 * GB)

@pytest.mark.parametrize("fields, batch_size, optimizer, field", [
    (dict(rnn_units=50000), 32, "adam", "rnn_units"), (dict(), 10**7, "adam", "batch_size"),
    (dict(input_kind="text", input_shape=None, vocab_size=10**9, normalization="none"), 32, "sgd", "vocab_size"),
    (dict(key_dim=10**6), 32, "rmsprop", "key_dim"),
])
def test_the_field_to_lower_is_the_one_that_was_raised(fields, batch_size, optimizer, field):
    from deepseek_nb.architecture import check_memory
    cfg = ModelConfig(**fields)
    with pytest.raises(ValueError) as caught: check_memory(cfg, batch_size, optimizer, available=4 * GB)
    message = str(caught.value)
    assert f"Use a smaller {field} (at most ~" in message and "this machine has 4 GB available" in message
    fixed = _suggested(message)
    fits = (cfg, fixed) if field == "batch_size" else (cfg.replace(**{field: fixed}), batch_size)
    assert check_memory(*fits, optimizer, available=4 * GB)["needed"] <= 4 * GB

def test_presets_fit_and_the_check_is_skipped_where_memory_is_unknown(monkeypatch):
    from deepseek_nb import architecture
    for name in PRESETS:
        model_cfg, train_cfg = preset(name)
        assert architecture.check_memory(model_cfg, train_cfg.batch_size, train_cfg.optimizer)["needed"] < GB  # this machine
    monkeypatch.setattr(architecture, "available_memory", lambda: None)
    assert architecture.check_memory(ModelConfig(width=100000), 32) == dict(needed=architecture.training_memory(ModelConfig(width=100000), 32), available=None)

def test_available_memory_reads_meminfo_and_the_container_limit(tmp_path):
    from deepseek_nb.architecture import available_memory
    (tmp_path / "meminfo").write_text("MemTotal: 8000000 kB\nMemFree: 100 kB\nMemAvailable: 3000000 kB\n")
    (tmp_path / "memory.max").write_text("2000000000\n"); (tmp_path / "memory.current").write_text("500000000\n")
    assert available_memory(tmp_path / "meminfo", tmp_path / "no-cgroup") == 3000000 * 1024
    assert available_memory(tmp_path / "meminfo", tmp_path) == 1500000000
    assert available_memory(tmp_path / "missing", tmp_path / "no-cgroup") is None
    assert available_memory() > 100 * 10**6

@pytest.mark.parametrize("args, message", [((0,), "`batch_size` must be an integer >= 1. Received: batch_size=0"),
                                           ((32, "adagrad"), "`optimizer` must be one of 'adam', 'adamw', 'sgd', 'rmsprop'. Received: optimizer='adagrad'")])
def test_check_memory_bad_arguments(args, message):
    from deepseek_nb.architecture import check_memory
    with pytest.raises(ValueError) as caught: check_memory(ModelConfig(), *args)
    assert str(caught.value) == message

# --- the Playground: one training at a time -------------------------------------------------------------------

MODEL_CONTROLS = ("dataset", "augment", "depth", "width", "heads", "key_dim", "rnn", "rnn_units", "dropout", "l2")

@pytest.fixture
def playground(monkeypatch):
    "A digits Playground whose worker records what it saw instead of training, and whose configuration takes 50 ms to read."
    from deepseek_nb.widgets import Playground
    pg = Playground()
    started, seen = [], []
    def fake_work(model_cfg, train_cfg):
        started.append(threading.get_ident())
        seen.append({name: pg.controls[name].disabled for name in MODEL_CONTROLS + ("learning_rate", "epochs")}
                    | dict(train=pg.train_button.disabled, stop=pg.stop_button.disabled, reset=pg.reset_button.disabled))
        time.sleep(0.4)
    fields = pg._fields
    monkeypatch.setattr(pg, "_work", fake_work)
    monkeypatch.setattr(pg, "_fields", lambda: (time.sleep(0.05), fields())[1])  # widen the window between check and start
    pg.started, pg.seen = started, seen
    return pg

def test_train_from_several_threads_starts_exactly_one(playground):
    pg, outcomes, barrier = playground, [], threading.Barrier(6)
    def press():
        barrier.wait()
        try: pg.train(); outcomes.append("started")
        except RuntimeError as e: outcomes.append(str(e))
    threads = [threading.Thread(target=press) for _ in range(6)]
    for t in threads: t.start()
    for t in threads: t.join(scaled(10))
    pg._thread.join(scaled(10))
    assert sorted(outcomes) == ["The Playground is already training; press Stop or wait"] * 5 + ["started"]
    assert len(pg.started) == 1 and not pg.training
    pg.train(block=True, timeout=scaled(10))  # free again once the run ended
    assert len(pg.started) == 2

def test_data_and_model_controls_are_disabled_while_training(playground):
    pg = playground
    assert not any(pg.controls[n].disabled for n in MODEL_CONTROLS)
    pg.train(block=True, timeout=scaled(10))
    during = pg.seen[0]
    assert all(during[n] for n in MODEL_CONTROLS), during
    assert (during["train"], during["stop"], during["reset"]) == (True, False, True)
    assert not during["learning_rate"] and not during["epochs"]  # the next run's training settings stay free
    assert not any(pg.controls[n].disabled for n in MODEL_CONTROLS) and not pg.train_button.disabled and pg.stop_button.disabled

def test_a_refused_configuration_releases_the_playground(playground):
    pg = playground
    pg.depth.value = 6  # six 2x2 poolings cannot fit an 8x8 digit
    with pytest.raises(ValueError, match="Use depth <= 3"): pg.train()
    assert not pg.training and not pg.depth.disabled
    pg.depth.value = 2
    pg.train(block=True, timeout=scaled(10))
    assert len(pg.started) == 1

def test_augmentation_stays_off_for_data_it_cannot_apply_to(playground):
    pg = playground
    pg.dataset.value = "sunspots"
    assert pg.augment.disabled and not pg.depth.disabled
    pg.train(block=True, timeout=scaled(10))
    assert pg.seen[0]["augment"] and pg.augment.disabled and not pg.depth.disabled

def test_the_readout_refuses_a_model_no_machine_here_can_hold():
    from deepseek_nb import widgets
    model, training = preset("digits")
    html, ok = widgets.config_readout(model.replace(width=100000).to_dict(), training.to_dict())
    assert not ok and "This configuration cannot work." in html and "width=100000 needs about" in html
