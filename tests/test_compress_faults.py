"""`deepseek-nb compress` under faults: a kill while it writes, a second compress, a damaged run folder, an output it must not touch.

Each case runs the real command as a subprocess on a tiny digits run trained here; exit 2 cases must end in one line naming the file.
"""
import hashlib, json, os, random, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
from conftest import cli, assert_usage_error, scaled

pytestmark = pytest.mark.slow  # real commands training or compressing models: minutes

FAST = ["--epochs", "1", "--repeats", "2", "--tflite", "float32"]

@pytest.fixture(scope="module")
def run_folder(trained, tmp_path_factory):
    "A copy of the test run's digits run folder (conftest.RECIPES)."
    out = trained("digits", tmp_path_factory.mktemp("faults") / "run")
    assert (out / "model.keras").is_file() and (out / "config.json").is_file()
    return out

def files(folder: Path) -> dict:
    "Relative path -> sha256 of every file under `folder` (the toolkit's marker left out)."
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".deepseek-nb"}

def written(result) -> list:
    "The paths a compress printed as `wrote PATH` (stdout, or stderr with --json)."
    return [line.removeprefix("wrote ") for line in (result.stdout + result.stderr).splitlines() if line.startswith("wrote ")]

def kill_while_writing(*args) -> int:
    "Start `deepseek-nb compress ARGS`, SIGKILL it soon after it starts writing its output; the signal it died of."
    exe = shutil.which("deepseek-nb") or str(Path(sys.executable).with_name("deepseek-nb"))
    proc = subprocess.Popen([exe, "compress", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith("[compress] writing"):
                time.sleep(random.Random(len(args)).uniform(0.0, 0.3)); proc.send_signal(signal.SIGKILL); break
        else: pytest.fail(f"compress ended (status {proc.wait()}) before writing")
        return proc.wait(timeout=scaled(60))
    finally:
        if proc.poll() is None: proc.kill(); proc.wait()

def test_default_output_is_run_compressed_every_path_printed_and_a_second_compress_replaces_it_whole(run_folder):
    first = cli("compress", "--run", run_folder, "--epochs", "1", "--repeats", "2", "--tflite", "float32,int8", "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads(first.stdout)  # stdout holds the JSON object only; the paths went to stderr as well
    out = run_folder / "compressed"
    assert [r["variant"] for r in report["rows"]][:4] == ["float", "pruned_80", "structured", "keras_int8"] and report["not_made"] == {}
    assert report["written"] == written(first) and all(Path(p).parent in (out, out / "int8") for p in report["written"])
    assert sorted(str(Path(p).relative_to(out)) for p in report["written"]) == sorted(files(out))  # every file printed, nothing else there
    assert {"model_int8.tflite", "model_structured_int8.tflite", "int8/model.weights.h5", "compare.csv"} <= set(files(out))

    second = cli("compress", "--run", run_folder, *FAST)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "float" in second.stdout and f"wrote {out / 'compare.csv'}" in second.stdout.splitlines()
    now = files(out)
    assert "model_int8.tflite" not in now and "model_structured_int8.tflite" not in now  # nothing left from the first compress
    assert sorted(str(Path(p).relative_to(out)) for p in written(second)) == sorted(now)
    assert not list(run_folder.glob(".compressed*"))  # no staging folder, old copy or lock left beside it

def test_a_kill_while_compress_writes_leaves_the_target_absent_or_as_it_was(run_folder, tmp_path):
    out = tmp_path / "out"
    assert kill_while_writing("--run", run_folder, *FAST, "--out", out) == -signal.SIGKILL
    assert not out.exists() or files(out) == {}, f"a killed first compress left {sorted(files(out))}"

    done = cli("compress", "--run", run_folder, *FAST, "--out", out)  # a staging folder left by the kill does not block it
    assert done.returncode == 0, done.stderr[-3000:]
    before = files(out)
    assert "structured.keras" in before and not (tmp_path / ".out.partial").exists() and not (tmp_path / ".out.lock").exists()

    assert kill_while_writing("--run", run_folder, "--epochs", "1", "--repeats", "2", "--tflite", "int8", "--out", out) == -signal.SIGKILL
    after = files(out)
    complete = {"model_int8.tflite", "model_structured_int8.tflite"} <= set(after) and "model_float32.tflite" not in after
    assert after == before or complete, f"a killed compress left a mix: {sorted(after)}"

@pytest.fixture
def damaged(run_folder, tmp_path):
    "A copy of the run folder, to damage."
    copy = tmp_path / "damaged"
    shutil.copytree(run_folder, copy, ignore=shutil.ignore_patterns("compressed", ".*"))
    return copy

def _config(folder: Path, change):
    path = folder / "config.json"
    saved = json.loads(path.read_text())
    path.write_text(change(saved) if callable(change) else change)

DEFECTS = {  # name: (damage done to the copy, words of the one error line; {config} / {model} stand for the file's path)
    "no config.json": (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    "config.json not JSON": (lambda f: _config(f, "{'model': "), "{config} is not valid JSON"),
    "config.json a list": (lambda f: _config(f, "[1, 2, 3]"), "{config} must hold a JSON object"),
    "config.json lacks train": (lambda f: _config(f, lambda s: json.dumps({k: v for k, v in s.items() if k != "train"})), "{config} lacks the key(s) train"),
    "model a string": (lambda f: _config(f, lambda s: json.dumps({**s, "model": "big"})), "{config}: key `model` must be an object"),
    "dataset a number": (lambda f: _config(f, lambda s: json.dumps({**s, "dataset": 3})), "{config}: key `dataset` must be a data set name or path"),
    "a bad model field": (lambda f: _config(f, lambda s: json.dumps({**s, "model": {**s["model"], "width": "wide"}})),
                          "{config}: key `model`: `width` must be an integer >= 1. Received: width='wide'"),
    "an unknown train field": (lambda f: _config(f, lambda s: json.dumps({**s, "train": {**s["train"], "speed": 9}})),
                               "{config}: key `train`: Unknown TrainConfig field(s): speed"),
    "a Keras data set": (lambda f: _config(f, lambda s: json.dumps({**s, "dataset": "mnist"})), "'mnist', a Keras data set that would be downloaded"),
    "imdb": (lambda f: _config(f, lambda s: json.dumps({**s, "dataset": "imdb"})), "'imdb', a Keras data set that would be downloaded"),
    "data not here": (lambda f: _config(f, lambda s: json.dumps({**s, "dataset": "/nowhere/letters.csv"})), "neither a bundled data set"),
    "empty model.keras": (lambda f: (f / "model.keras").write_bytes(b""), "{model} is not a valid .keras file"),
    "truncated model.keras": (lambda f: (f / "model.keras").write_bytes((f / "model.keras").read_bytes()[:5000]), "{model} is not a valid .keras file"),
    "no model.keras": (lambda f: (f / "model.keras").unlink(), "model.keras is missing"),
}

# Every defect is checked in-process by the notebooks (03_training's Run.load, which cmd_compress uses); as a real command, one of each kind:
@pytest.mark.parametrize("defect", ["no config.json", "config.json a list", "a bad model field", "a Keras data set", "truncated model.keras"])
def test_a_damaged_run_folder_ends_in_one_line_naming_the_file(damaged, tmp_path, defect):
    damage, words = DEFECTS[defect]
    damage(damaged)
    keras_home = tmp_path / "keras_home"
    offline = {"KERAS_HOME": str(keras_home), "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = cli("compress", "--run", damaged, *FAST, timeout=120, env=offline)
    assert_usage_error(result, words.format(config=damaged / "config.json", model=damaged / "model.keras"))
    assert not (keras_home / "datasets").exists() and not (damaged / "compressed").exists()  # nothing downloaded, nothing written

def test_an_out_that_compress_did_not_make_is_refused_before_any_work(run_folder, tmp_path):
    mine = tmp_path / "mine"; mine.mkdir(); (mine / "notes.txt").write_text("my notes")
    started = time.monotonic()
    result = cli("compress", "--run", run_folder, *FAST, "--out", mine)
    assert_usage_error(result, f"{mine} holds files that deepseek-nb did not make")
    assert "[compress]" not in result.stderr and time.monotonic() - started < scaled(60)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and (mine / "notes.txt").read_text() == "my notes"
    assert not list(tmp_path.glob(".mine*"))
    assert_usage_error(cli("compress", "--run", run_folder, *FAST, "--out", run_folder), "would replace the run folder")
    assert (run_folder / "model.keras").is_file()
