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


def test_symbolic_build_builds_metrics():
    model = small_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    assert _compat.symbolic_build(model, np.zeros((2, 4, 3), "float32"), np.zeros((2, 2), "float32"))
    assert model.metrics_variables and all(v.shape is not None for v in model.metrics_variables)


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
