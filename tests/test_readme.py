"""The README's lines run as written, in order, in a scratch folder: every `deepseek-nb` command of its shell blocks (training lines,
compress's fine-tuning included, get `--epochs 1`; compress times 2 repeats of one TFLite mode), and its Python snippet twice in a row.
A plain install into a fresh venv (the quick start, the snippet, the bundled data from another folder) is test_plain_install's."""
import re, shlex, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, cli, scaled

def readme_commands() -> list:
    "Each `deepseek-nb ...` command of the README's ```sh blocks, in order, as argument lists (comments dropped)."
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    commands = []
    for line in "\n".join(blocks).splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["deepseek-nb"]: commands.append(words[1:])
    return commands

def readme_python() -> str:
    return re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)

WHERE = dict(train="run folder:", compress="wrote ", evaluate="wrote ", predict="wrote ")

def test_readme_lists_the_commands_a_user_needs():
    commands = [c[0] for c in readme_commands()]
    assert {"train", "evaluate", "predict", "compress", "audit", "sweep"} <= set(commands), commands
    assert readme_commands()[0] == ["train"]  # the quick start

@pytest.mark.slow
@pytest.mark.multiprocess
def test_readme_commands_run_in_order(tmp_path):
    (tmp_path / "data").symlink_to(ROOT / "data")
    for args in readme_commands():
        if args[0] in ("train", "compress", "sweep") and "--epochs" not in args: args = args + ["--epochs", "1"]
        if args[0] == "compress": args = args + ["--repeats", "2", "--tflite", "float32"]  # 36 s -> 20 s; test_optimize tries every mode
        result = cli(*args, cwd=tmp_path, timeout=900)
        assert result.returncode == 0, (args, result.stderr[-3000:])
        if args[0] in WHERE: assert WHERE[args[0]] in result.stdout + result.stderr, (args, result.stdout[-2000:])
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["digits", "digits-2", "letters-train", "mnist-h8", "reviews", "sweep-digits"]
    assert (tmp_path / "runs" / "digits" / "compressed" / "compare.csv").exists()

@pytest.mark.slow
def test_readme_python_snippet_runs_twice(tmp_path):
    script = readme_python().replace('train_cfg, out=', 'train_cfg.replace(epochs=2, min_epochs=0), out=')
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=scaled(600))
        assert result.returncode == 0, result.stderr[-3000:]
        assert 0 < float(result.stdout.strip().splitlines()[-1]) <= 1
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["heads8"]
