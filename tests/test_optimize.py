"""`deepseek-nb compress` as a user runs it: a subprocess on a real run folder, JSON on stdout, files in --out; a text run gets the variants that apply."""
import json
import pytest
from conftest import cli

pytestmark = pytest.mark.slow  # real commands training or compressing models: minutes

@pytest.fixture(scope="module")
def run_folder(trained, tmp_path_factory):
    "A copy of the test run's digits run folder (conftest.RECIPES)."
    return trained("digits", tmp_path_factory.mktemp("compress") / "run")

def test_compress_prints_the_table_as_json_and_writes_the_variants(run_folder, tmp_path):
    out = tmp_path / "compressed"
    result = cli("compress", "--run", run_folder, "--epochs", "1", "--repeats", "3", "--tflite", "float32,int8", "--json", "--out", out)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)  # stdout holds nothing but the JSON; progress and the paths went to stderr
    rows = report["rows"]
    names = [r["variant"] for r in rows]
    assert names == ["float", "pruned_80", "structured", "keras_int8", "tflite_float32", "tflite_int8",
                     "tflite_structured_float32", "tflite_structured_int8"]
    by = {r["variant"]: r for r in rows}
    assert by["float"]["gzip_ratio"] == 1.0 and by["pruned_80"]["gzip_ratio"] < 0.6
    assert by["structured"]["params"] < 0.55 * by["float"]["params"]
    assert by["tflite_int8"]["bytes"] < 0.6 * by["tflite_float32"]["bytes"]
    assert all(0 <= r["accuracy"] <= 1 and r["latency_ms"] > 0 for r in rows)
    assert by["tflite_float32"]["params"] is None
    assert {r["runtime"] for r in rows if r["kind"] == "keras"} == {"keras+xla"}
    assert {r["runtime"] for r in rows if r["kind"] == "tflite"} <= {"litert", "tf.lite"}
    assert by["float"]["latency_ratio"] == 1.0 and by["tflite_float32"]["latency_ratio"] == 1.0  # each runtime against its own first variant
    assert "[compress] pruning to 80% sparsity" in result.stderr
    written = {p.name for p in out.iterdir()}
    assert {"pruned_80.keras", "structured.keras", "int8", "model_float32.tflite", "model_int8.tflite", "model_structured_int8.tflite",
            "compare.csv", "compare.png"} <= written
    assert (out / "model_int8.tflite").stat().st_size == by["tflite_int8"]["bytes"]
    assert report["not_made"] == {} and str(out / "model_int8.tflite") in report["written"]
    assert f"wrote {out / 'compare.png'}" in result.stderr.splitlines()

def test_compress_reloads_the_int8_folder_it_wrote(run_folder, tmp_path):
    out = tmp_path / "c"
    assert cli("compress", "--run", run_folder, "--epochs", "1", "--repeats", "2", "--tflite", "float32", "--out", out).returncode == 0
    import numpy as np
    from deepseek_nb.optimize import load_quantized, quantization_report
    from deepseek_nb.data import load_dataset
    model = load_quantized(out / "int8")
    assert quantization_report(model).loc["attention_output", "mode"] == "int8"
    assert model.predict(load_dataset("digits").x[:8], verbose=0).shape == (8, 10)

@pytest.mark.parametrize("args, message", [
    (["--run", "/nonexistent/run"], "is not a run folder"),
    (["--sparsity", "1.5"], "argument --sparsity: must be between 0 and 1 (both excluded), got 1.5"),
    (["--fraction", "0"], "argument --fraction: must be between 0 and 1"),
    (["--tflite", "int4"], "argument --tflite: must be drawn from float32, float16, dynamic, int8, got int4"),
    (["--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
    (["--repeats", "two"], "argument --repeats: must be a whole number"),
])
def test_bad_compress_arguments_fail_in_one_line(run_folder, args, message):
    if "--run" not in args: args = ["--run", str(run_folder), *args]
    result = cli("compress", *args, timeout=120)
    assert result.returncode == 2, (result.stdout[-500:], result.stderr[-2000:])
    assert message in result.stderr
    assert "Traceback" not in result.stderr

def test_compress_needs_a_run(tmp_path):
    result = cli("compress")
    assert result.returncode == 2 and "--run" in result.stderr

def test_compress_on_a_text_run_makes_the_keras_variants_and_says_which_it_cannot(trained, tmp_path):
    "TFLite cannot carry TextVectorization and the sentence polarity preset has no LSTM/GRU: Keras variants only, one line on why."
    run = trained("text", tmp_path / "text_run")  # a small sentence_polarity model (conftest.RECIPES)
    result = cli("compress", "--run", run, "--epochs", "1", "--repeats", "2", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert [r["variant"] for r in report["rows"]] == ["float", "pruned_80", "keras_int8"]
    assert {r["runtime"] for r in report["rows"]} == {"keras"}  # XLA has no string ops
    assert set(report["not_made"]) == {"structured", "tflite_float32", "tflite_float16", "tflite_dynamic", "tflite_int8",
                                       "tflite_structured_float32", "tflite_structured_int8"}
    not_made = [l for l in result.stderr.splitlines() if l.startswith("[compress] not made:")]
    assert len(not_made) == 1 and "TFLite cannot carry TextVectorization" in not_made[0] and "rnn='none'" in not_made[0]
    out = run / "compressed"
    assert sorted(p.name for p in out.iterdir() if p.name != ".deepseek-nb") == ["compare.csv", "compare.png", "int8", "pruned_80.keras"]
    assert sorted(str(p) for p in [out / "int8" / n for n in ("config.json", "model.weights.h5", "vocabulary.json")]) == \
           sorted(p for p in report["written"] if "/int8/" in p)
    from deepseek_nb.optimize import load_quantized
    import tensorflow as tf
    reloaded = load_quantized(out / "int8")
    assert reloaded(tf.constant(["a fine film", "dull and long"])).shape == (2, 2)
