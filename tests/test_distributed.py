"""Distributed training in separate processes: logical devices must be set before TensorFlow starts, and multi-worker
runs need one process per worker. Each test bounds its time."""
import csv, json, os, random, selectors, signal, socket, subprocess, sys, tempfile, textwrap, time
from pathlib import Path
import numpy as np
import pytest
from conftest import ROOT, cli, scaled

def python(code: str, timeout: float = 240, env=None) -> subprocess.CompletedProcess:
    "Run `code` in a fresh Python; the last stdout line of a successful run is JSON."
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=scaled(timeout),
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})

def last_json(result) -> dict:
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])

@pytest.mark.slow
def test_mirrored_over_two_logical_cpus_trains_digits():
    out = last_json(python("""
        import json
        from deepseek_nb.distributed import get_strategy, train_distributed
        from deepseek_nb.config import preset
        from deepseek_nb.data import load_dataset
        strategy = get_strategy("mirrored", devices=2)
        model_cfg, train_cfg = preset("digits")
        run = train_distributed(model_cfg, load_dataset("digits"), train_cfg.replace(epochs=20, min_epochs=8), strategy=strategy)
        print(json.dumps(run.metrics))
    """))
    assert out["replicas"] == 2 and out["per_replica_batch"] == 32
    assert out["test_accuracy"] >= 0.97, out

@pytest.mark.slow
def test_one_mirrored_step_equals_one_device_step():
    out = last_json(python("""
        import json
        import numpy as np
        from deepseek_nb.distributed import get_strategy, one_step
        from deepseek_nb.config import preset
        from deepseek_nb.data import load_dataset
        strategy = get_strategy("mirrored", devices=2)
        cfg = preset("digits")[0].replace(dropout=0.0)
        digits = load_dataset("digits")
        x, y = digits.x[:64].astype("float32"), digits.y[:64]
        single, w1 = one_step(cfg, x, y)
        mirrored, w2 = one_step(cfg, x, y, strategy=strategy)
        print(json.dumps(dict(single=single, mirrored=mirrored, replicas=strategy.num_replicas_in_sync,
                              weight_gap=max(float(np.abs(a - b).max()) for a, b in zip(w1, w2)),
                              moved=max(float(np.abs(a - b).max()) for a, b in zip(w1, one_step(cfg, x, y, learning_rate=1e-12)[1])))))
    """))
    assert out["replicas"] == 2
    assert abs(out["single"] - out["mirrored"]) < 1e-5, out
    assert out["weight_gap"] < 1e-5, out
    assert out["moved"] > 1e-4, out  # the step really changed the weights, so equal weights mean equal updates

@pytest.mark.slow
@pytest.mark.multiprocess
def test_two_workers_on_loopback_agree_and_learn(tmp_path):
    from deepseek_nb.distributed import launch_workers
    from deepseek_nb.config import preset
    model_cfg, train_cfg = preset("digits")
    started = time.monotonic()
    reports = launch_workers(2, model_cfg, "digits", train_cfg.replace(epochs=12, min_epochs=6), out=tmp_path / "run",
                             timeout=scaled(150), startup_timeout=scaled(60), results=tmp_path / "workers")
    assert time.monotonic() - started < scaled(150)
    assert [r["task"] for r in reports] == [0, 1]
    assert reports[0]["weights_sha256"] == reports[1]["weights_sha256"]
    w0, w1 = (np.load(tmp_path / "workers" / f"worker-{i}.npz") for i in (0, 1))
    assert len(w0.files) == len(w1.files) > 0 and all(np.array_equal(w0[k], w1[k]) for k in w0.files)
    assert reports[0]["metrics"] == reports[1]["metrics"] or reports[0]["metrics"]["test_accuracy"] == reports[1]["metrics"]["test_accuracy"]
    assert reports[0]["metrics"]["test_accuracy"] >= 0.95, reports[0]["metrics"]
    assert reports[0]["metrics"]["replicas"] == 2
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"config.json", "history.csv", "metrics.json", "curves.png", "model.keras", "best.weights.h5", ".deepseek-nb"} <= files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "workers"]  # no staging folder, no lock left beside the run
    assert not _worker_folders(os.getpid())

def _free_port() -> int:
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

@pytest.mark.slow
@pytest.mark.multiprocess
def test_worker_without_its_peer_fails_fast_and_clearly():
    me, peer = _free_port(), _free_port()
    config = dict(cluster=dict(worker=[f"127.0.0.1:{me}", f"127.0.0.1:{peer}"]), task=dict(type="worker", index=0))
    started = time.monotonic()
    result = python("""
        import sys, time
        from deepseek_nb.distributed import get_strategy
        started = time.monotonic()
        try: get_strategy("multiworker", timeout=5)
        except TimeoutError as e: print(f"{time.monotonic() - started:.1f} s: {e}", file=sys.stderr); sys.exit(3)
    """, timeout=120, env=dict(TF_CONFIG=json.dumps(config)))
    assert result.returncode == 3, result.stderr[-3000:]
    assert f"could not reach its peers within 5 s: nothing answers at 127.0.0.1:{peer} (worker 1)" in result.stderr
    waited = float(result.stderr.strip().splitlines()[-1].split(" s:")[0])
    assert 4 <= waited < scaled(30), waited  # the strategy gave up after its timeout, not later
    assert time.monotonic() - started < scaled(120)

@pytest.mark.slow
@pytest.mark.multiprocess
def test_launcher_deadline_kills_the_workers(tmp_path):
    from deepseek_nb.distributed import launch_workers
    from deepseek_nb.config import preset
    model_cfg, train_cfg = preset("digits")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="did not finish within timeout=3 s"):
        launch_workers(2, model_cfg, "digits", train_cfg, timeout=3, results=tmp_path)
    assert time.monotonic() - started < scaled(30)
    assert not _worker_folders(os.getpid())

@pytest.mark.slow
def test_model_parallel_places_blocks_and_matches_single_device():
    out = last_json(python("""
        import json
        import numpy as np
        from deepseek_nb.distributed import logical_cpus, model_parallel, placement
        from deepseek_nb.architecture import build_model
        from deepseek_nb.config import preset
        from deepseek_nb.data import load_dataset
        logical_cpus(3)
        cfg = preset("digits")[0]
        digits = load_dataset("digits")
        devices = dict(input="/device:CPU:2", feature_extractor="/device:CPU:2", sequence="/device:CPU:0", head="/device:CPU:1")
        parallel, single = model_parallel(cfg, devices, adapt_data=digits.x, seed=1), build_model(cfg, adapt_data=digits.x, seed=0)
        before = float(np.abs(single.predict(digits.x[:200], verbose=0) - parallel.predict(digits.x[:200], verbose=0)).max())
        parallel.set_weights(single.get_weights())
        gap = float(np.abs(single.predict(digits.x[:200], verbose=0) - parallel.predict(digits.x[:200], verbose=0)).max())
        table = placement(parallel)
        print(json.dumps(dict(gap=gap, before=before, variables=table["variable_devices"].to_dict(), ops=table["op_devices"].to_dict())))
    """))
    assert out["variables"] == dict(input="", feature_extractor="CPU:2", sequence="CPU:0", head="CPU:1"), out
    assert out["ops"] == dict(input="CPU:2", feature_extractor="CPU:2", sequence="CPU:0", head="CPU:1"), out
    assert out["before"] > 1e-3 and out["gap"] < 1e-5, out

def test_logical_cpus_too_late_says_what_to_do():
    result = python("""
        import tensorflow as tf
        tf.constant(1.0) + 1  # TensorFlow starts here
        from deepseek_nb.distributed import get_strategy
        get_strategy("mirrored", devices=2)
    """, timeout=120)
    assert result.returncode != 0
    assert "already started with 1 CPU device(s)" in result.stderr and "restart the kernel" in result.stderr

@pytest.mark.slow
@pytest.mark.multiprocess
def test_cli_train_with_two_workers(tmp_path):
    result = cli("train", "--dataset", "digits", "--workers", "2", "--epochs", "2", "--quiet", "--out", tmp_path / "run", timeout=200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test accuracy" in result.stdout
    assert {"config.json", "history.csv", "metrics.json", "curves.png", "model.keras"} <= {p.name for p in (tmp_path / "run").iterdir()}
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["replicas"] == 2 and metrics["epochs_run"] == 2

def _named_reviews(path: Path, n: int = 300) -> Path:
    "A user's own CSV: `n` review sentences labelled 'negative' / 'positive', drawn from the bundled file."
    with (ROOT / "data" / "sentence_polarity.csv").open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "sentiment"])  # not the default column names: every worker must be told them
        writer.writerows(random.Random(0).sample(rows, n))  # the file is sorted by label
    return path

@pytest.mark.slow
@pytest.mark.multiprocess
def test_two_workers_record_class_names_and_data_as_one_process_does(tmp_path):
    """`--workers 2` on a user's CSV with its own column names: the workers load it with them, config.json names the
    classes and the data's path and hash; predict says the names."""
    reviews = _named_reviews(tmp_path / "reviews.csv")
    configs = {}
    for workers in (1, 2):
        out = tmp_path / f"run{workers}"
        result = cli("train", "--dataset", reviews, "--text-column", "review", "--label-column", "sentiment",
                     "--workers", workers, "--epochs", "1", "--quiet", "--out", out, cwd=tmp_path, timeout=200)
        assert result.returncode == 0, result.stderr[-3000:]
        configs[workers] = json.loads((out / "config.json").read_text())
    one, two = configs[1], configs[2]
    assert two["class_names"] == one["class_names"] == ["negative", "positive"]
    assert two["data"] == one["data"]  # name, path, sha256, samples, preprocessing, split: the same keys and values
    assert two["data"]["path"] == str(reviews) and len(two["data"]["sha256"]) == 64
    assert set(two) == set(one)
    (tmp_path / "note.txt").write_text("a moving, funny and beautifully made film")
    labelled = cli("predict", "--run", tmp_path / "run2", "--input", tmp_path / "note.txt", "--out", tmp_path / "note.csv",
                   cwd=tmp_path)
    assert labelled.returncode == 0, labelled.stderr[-2000:]
    row = next(csv.DictReader((tmp_path / "note.csv").open()))
    assert row["prediction"] in ("negative", "positive"), row
    assert row["prediction"] in labelled.stdout

def _worker_folders(pid: int) -> list:
    "The temporary folders of the launcher with process id `pid`."
    return list(Path(tempfile.gettempdir()).glob(f".deepseek-workers-{pid}-*"))

def test_too_many_workers_refused_with_the_bound_and_the_estimate(monkeypatch, tmp_path):
    import deepseek_nb.distributed as D
    from deepseek_nb.config import preset
    model_cfg, train_cfg = preset("digits")
    monkeypatch.setattr(D, "_usable_cores", lambda: 2); monkeypatch.setattr(D, "_available_gb", lambda: 9.1)
    with pytest.raises(ValueError) as e: D.launch_workers(100, model_cfg, "digits", train_cfg, out=tmp_path / "run")
    assert str(e.value) == ("`workers` must be at most 4 on this machine (2 cores, 9.1 GB free; each worker needs about 0.9 GB). "
                            "Received: workers=100")
    monkeypatch.setattr(D, "_available_gb", lambda: 1.5)  # memory binds first: one worker of 0.9 GB
    with pytest.raises(ValueError, match=r"at most 1 on this machine \(2 cores, 1.5 GB free;"): D.launch_workers(2, model_cfg, "digits", train_cfg)
    monkeypatch.setattr(D, "_available_gb", lambda: 100.0)
    with pytest.raises(ValueError, match=r"at most 1 on this machine \(2 cores at 4 threads a worker, 100.0 GB free"):
        D.launch_workers(2, model_cfg, "digits", train_cfg, threads=4)
    assert list(tmp_path.iterdir()) == [] and not _worker_folders(os.getpid())  # refused before anything started

def test_workers_bound_on_this_machine():
    import deepseek_nb.distributed as D
    cores, free = len(os.sched_getaffinity(0)), D._available_gb()
    meminfo = int(Path("/proc/meminfo").read_text().split("MemAvailable:")[1].split()[0]) * 1024 / 1e9
    assert 0 < free <= meminfo * 1.05
    assert D.max_workers() == min(2 * cores, int(free / D.WORKER_MEMORY_GB)) >= 2  # the two-worker tests fit here
    with pytest.raises(ValueError, match=rf"`workers` must be at most {D.max_workers()} on this machine \({cores} cores, [0-9.]+ GB free"):
        D.check_workers(100, 1)

def test_a_port_in_use_is_named(monkeypatch, tmp_path):
    from deepseek_nb.distributed import _free_ports, get_strategy, launch_workers
    from deepseek_nb.config import preset
    model_cfg, train_cfg = preset("digits")
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0)); held.listen(); port = held.getsockname()[1]
        with pytest.raises(ValueError, match=rf"^port {port} is already in use on this machine; stop what holds it or choose other `ports`"):
            launch_workers(2, model_cfg, "digits", train_cfg, out=tmp_path / "run", ports=[_free_ports(1)[0], port])
        config = dict(cluster=dict(worker=[f"127.0.0.1:{port}", f"127.0.0.1:{_free_ports(1)[0]}"]), task=dict(type="worker", index=0))
        monkeypatch.setenv("TF_CONFIG", json.dumps(config))
        with pytest.raises(ValueError, match=rf"^port {port} of worker 0 in TF_CONFIG is already in use on this machine"):
            get_strategy("multiworker", timeout=5)
    assert list(tmp_path.iterdir()) == [] and not _worker_folders(os.getpid())

def _children(pid: int) -> list:
    "Process ids whose parent is `pid` (from /proc)."
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try: fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError: continue
        if int(fields[1]) == pid: found.append(int(stat.parent.name))
    return found

def _alive(pid: int) -> bool:
    "Running (a zombie, killed but not yet reaped, counts as ended)."
    try: return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError: return False

LAUNCHER = """
from deepseek_nb.distributed import launch_workers
from deepseek_nb.config import preset
model_cfg, train_cfg = preset("digits")
launch_workers(2, model_cfg, "digits", train_cfg.replace(epochs=200, min_epochs=200, patience=0), out={out!r}, verbose=1, timeout={timeout})
"""

@pytest.mark.slow
@pytest.mark.multiprocess
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_no_worker_outlives_its_launcher(tmp_path, sig):
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER.format(out=str(tmp_path / "run"), timeout=scaled(400))], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        seen, deadline, selector = b"", time.monotonic() + scaled(200), selectors.DefaultSelector()
        selector.register(launcher.stdout, selectors.EVENT_READ)
        while b"Epoch 1/200" not in seen:  # worker 0 prints to the launcher's stdout: training is under way
            assert time.monotonic() < deadline and launcher.poll() is None, seen[-3000:].decode(errors="replace")
            if selector.select(timeout=1): seen += os.read(launcher.stdout.fileno(), 65536)
        workers = _children(launcher.pid)
        assert len(workers) == 2 and all(map(_alive, workers)), workers
        assert _worker_folders(launcher.pid)
        os.kill(launcher.pid, sig)
        launcher.wait(timeout=scaled(30))
        deadline = time.monotonic() + scaled(10)
        while any(map(_alive, workers)) and time.monotonic() < deadline: time.sleep(0.2)
        assert not any(map(_alive, workers)), [p for p in workers if _alive(p)]
    finally:
        if launcher.poll() is None: launcher.kill(); launcher.wait()
        launcher.stdout.close()
    assert not (tmp_path / "run").exists()  # no run that nobody collects
    if sig == signal.SIGINT:  # the launcher cleaned up: no temporary folder, no half-written staging folder
        assert launcher.returncode != 0 and not _worker_folders(launcher.pid)
        assert [p.name for p in tmp_path.iterdir()] == [], list(tmp_path.iterdir())
    else:  # a killed launcher runs no more code; the next launch removes what it left
        from deepseek_nb.distributed import _remove_stale
        assert _worker_folders(launcher.pid)
        _remove_stale(Path(tempfile.gettempdir()))
        assert not _worker_folders(launcher.pid)

def test_too_many_workers_from_the_cli_names_the_flag(tmp_path):
    result = cli("train", "--dataset", "digits", "--workers", "100", "--quiet", "--out", tmp_path / "run", timeout=120)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "`--workers` must be at most" in result.stderr and "Received: --workers=100" in result.stderr
    assert "Traceback" not in result.stderr

def _stand_in(folder: Path, i: int, seconds: float, then_hang: bool = False) -> subprocess.Popen:
    "A stand-in worker: touches `worker-I.progress` every 0.2 s for `seconds`, then ends (or hangs)."
    code = (f"import pathlib, time\nfor _ in range(int({seconds} / 0.2)): pathlib.Path({str(folder / f'worker-{i}.progress')!r}).touch();"
            f" time.sleep(0.2)\n{'time.sleep(600)' if then_hang else ''}")
    return subprocess.Popen([sys.executable, "-c", code])

def test_workers_are_stopped_for_lack_of_progress_never_for_total_time(tmp_path):
    "issue 27: multi-worker training has no wall-clock limit of its own; a worker that stops progressing is stopped."
    import inspect
    from deepseek_nb.distributed import launch_workers, wait_for_workers
    assert inspect.signature(launch_workers).parameters["timeout"].default is None  # what `--workers` gets
    started = time.monotonic()
    wait_for_workers([_stand_in(tmp_path, 0, 4), _stand_in(tmp_path, 1, 4)], tmp_path, stall_timeout=1.5)
    assert time.monotonic() - started >= 3.5   # longer than the stall limit, and finished: progress counts, not time
    hanging = [_stand_in(tmp_path, 0, 60), _stand_in(tmp_path, 1, 0.6, then_hang=True)]
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="worker 1 made no progress for .* s \\(stall_timeout=1.5"):
        wait_for_workers(hanging, tmp_path, stall_timeout=1.5)
    assert time.monotonic() - started < scaled(10)
    assert [p.poll() for p in hanging] == [-signal.SIGKILL, -signal.SIGKILL]  # both stopped
