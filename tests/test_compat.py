"""Each TensorFlow/Keras internal the toolkit uses (deepseek_nb/_compat.py) still works on the installed versions;
a release that moves one fails here, by name."""
import numpy as np
import deepseek_nb
import keras
from deepseek_nb import _compat


def small_model():
    inputs = keras.Input((4, 3))
    x = keras.layers.MultiHeadAttention(2, 4)(inputs, inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.LSTM(5)(x)))


def test_flatten_layers_reaches_cells_and_attention_projections():
    names = [type(l).__name__ for l in _compat.flatten_layers(small_model())]
    assert {"MultiHeadAttention", "EinsumDense", "LSTM", "LSTMCell", "Dense"} <= set(names)
    assert names.count("EinsumDense") == 4  # query, key, value, output


def step_traces(build: bool) -> int:
    "How many times fit traced its one-batch training step, with or without build_compiled first."
    model, x, y = small_model(), np.zeros((8, 4, 3), "float32"), np.zeros((8, 2), "float32")
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    if build:
        _compat.build_compiled(model, x[:4], y[:4])
        assert model.optimizer.built and model.metrics_variables
        assert all(float(keras.ops.sum(v)) == 0 for v in model.metrics_variables)  # reset after the build
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    fn = model.train_function
    step = fn.__closure__[fn.__code__.co_freevars.index("one_step_on_data")].cell_contents
    return step.__wrapped__.experimental_get_tracing_count()


def test_build_compiled_saves_a_trace():
    assert step_traces(build=False) == 2  # what build_compiled is for: Keras builds the metrics inside the trace
    assert step_traces(build=True) == 1


def test_tflite_flags_and_stripping():
    import tensorflow as tf
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="a_long_layer_name_to_strip")(inputs))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    _compat.set_per_channel(converter, False)
    content = converter.convert()
    stripped = _compat.strip_tflite_strings(content)
    assert b"a_long_layer_name_to_strip" in content and b"a_long_layer_name_to_strip" not in stripped
    interpreter = tf.lite.Interpreter(model_content=stripped)  # still a valid model
    interpreter.allocate_tensors()


def test_collective_controls_exist():
    from tensorflow.python.eager import context
    assert callable(context.context().configure_coordination_service)
    assert callable(context.context().abort_collective_ops)
