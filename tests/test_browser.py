"""The Playground in a real JupyterLab, driven through headless Chromium (Debian's package) with Playwright.

Starts `jupyter-lab` on a free port with a token and a temporary notebook folder, runs the notebook's cells from
the Run menu, then works the page as a learner would: the controls render, the depth slider changes the parameter
readout, Train redraws the curves while it trains and adds a row to the run history, Stop ends a long run (the
status says stopped, after fewer epochs than asked), "Copy as code" shows the command line and the Python cell of the
settings in the page, a click on a confusion-matrix cell in the errors tab shows that cell's samples, and the search
tab runs a two-trial search. The screenshot goes to pytest's temporary folder; with
DEEPSEEK_NB_UPDATE_SCREENSHOTS=1 it also replaces docs/images/playground.png, the README's picture. A second notebook loads a user's CSV (written to the
temporary folder) through the "your data" path box, checks the data summary, trains two epochs and sees the curves. Skips without chromium or Playwright, unless
DEEPSEEK_NB_REQUIRE_BROWSER=1 (as in CI), where it fails instead.
"""
import json, os, re, secrets, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from conftest import scaled

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
SCREENSHOT = ROOT / "docs" / "images" / "playground.png"  # replaced only with DEEPSEEK_NB_UPDATE_SCREENSHOTS=1
CONTROLS = ["dataset", "augment", "depth", "width", "heads", "key-dim", "rnn", "rnn-units", "dropout", "l2",
            "optimizer", "learning-rate", "schedule", "batch-size", "epochs"]
NOTEBOOK_CELLS = ["from deepseek_nb.widgets import Playground\npg = Playground()\npg.epochs.value = 3  # a short first run\npg"]
OWN_DATA_CELLS = ["from deepseek_nb.widgets import Playground\npg = Playground()\npg"]


def _write_reviews(path: Path, n: int = 240):
    "A small CSV of short texts with two labels a model can learn in two epochs."
    import csv, random
    rng, words = random.Random(0), {"pos": "good great fine lovely superb warm".split(), "neg": "bad awful poor dull weak cold".split()}
    with open(path, "w", newline="") as f:
        writer = csv.writer(f); writer.writerow(["text", "label"])
        for i in range(n):
            label = ("pos", "neg")[i % 2]
            writer.writerow([" ".join(rng.choice(words[label]) for _ in range(6)) + " film", label])


def _notebook(path: Path, sources):
    cells = [dict(cell_type="code", metadata={}, source=src, outputs=[], execution_count=None) for src in sources]
    kernel = dict(display_name="Python 3 (ipykernel)", language="python", name="python3")
    path.write_text(json.dumps(dict(cells=cells, metadata=dict(kernelspec=kernel), nbformat=4, nbformat_minor=5)))


def _requirements():
    "Skip (or fail where the browser is required) when chromium, Playwright or jupyter-lab is missing."
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    try: import playwright.sync_api  # noqa: F401
    except ImportError: missing.append("the playwright Python package")
    lab = shutil.which("jupyter-lab") or str(Path(sys.executable).with_name("jupyter-lab"))
    if not Path(lab).exists(): missing.append("jupyter-lab")
    if missing:
        message = "browser test needs " + ", ".join(missing)
        if os.environ.get("DEEPSEEK_NB_REQUIRE_BROWSER") == "1": pytest.fail(message + " (DEEPSEEK_NB_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    return lab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=scaled(5)) as response: return json.loads(response.read())


def _wait(predicate, timeout: float, what: str, interval: float = 0.1):
    "Poll `predicate` until it returns something truthy; fail naming `what` after `scaled(timeout)` seconds."
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try: value = predicate()
        except Exception: value = None
        if value: return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    "A JupyterLab server with a notebook that shows a Playground; yields (base URL, token, notebook name)."
    exe = _requirements()
    tmp = tmp_path_factory.mktemp("lab")
    notebooks, settings = tmp / "notebooks", tmp / "settings" / "@jupyterlab" / "apputils-extension"
    notebooks.mkdir(); settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    _notebook(notebooks / "playground.ipynb", NOTEBOOK_CELLS)
    _notebook(notebooks / "own_data.ipynb", OWN_DATA_CELLS)
    _write_reviews(notebooks / "reviews.csv")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(tmp / "lab.log", "w")
    server = subprocess.Popen([exe, "--allow-root", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: server.poll() is None and _get_json(f"{base}/api/status?token={token}"), 90, "JupyterLab to answer")
        yield base, token, "playground.ipynb", notebooks
    finally:
        server.terminate()
        try: server.wait(scaled(20))
        except subprocess.TimeoutExpired: server.kill(); server.wait(scaled(10))
        log.close()


def _kernel_idle(base: str, token: str, name: str = "playground.ipynb") -> bool:
    sessions = _get_json(f"{base}/api/sessions?token={token}")
    return any(s["path"].endswith(name) and s["kernel"]["execution_state"] == "idle" for s in sessions)


def _open_and_run_all(page, base: str, token: str, name: str):
    "Open notebook `name`, wait for its kernel, Run All, and wait for the Playground."
    page.set_default_timeout(scaled(30_000))  # milliseconds in Playwright
    page.goto(f"{base}/lab/tree/{name}?token={token}", timeout=scaled(60_000))
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=scaled(60_000))
    _wait(lambda: _kernel_idle(base, token, name), 90, "the kernel to report idle")
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
    page.locator(".dsnb-playground").wait_for(timeout=scaled(120_000))


def _status(page) -> str: return page.locator(".dsnb-status").inner_text()


def _total_params(page) -> str:
    text = page.locator(".dsnb-readout").inner_text()
    return re.search(r"total\s+([\d,]+)", text).group(1)


@pytest.mark.slow
@pytest.mark.browser
def test_playground_in_jupyterlab(lab, tmp_path):
    from playwright.sync_api import sync_playwright
    base, token, name, notebooks = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport=dict(width=1500, height=1100))
            _open_and_run_all(page, base, token, name)

            # the controls render
            for control in CONTROLS: assert page.locator(f".dsnb-{control}").is_visible(), control
            assert page.locator(".dsnb-train").is_enabled() and page.locator(".dsnb-stop").is_disabled()

            # moving the depth slider in the page changes the parameter readout
            before = _total_params(page)
            page.locator(".dsnb-depth .noUi-handle").focus()
            page.keyboard.press("ArrowLeft")
            _wait(lambda: page.locator(".dsnb-depth .widget-readout").inner_text().strip() == "1", 10, "depth 1 in the slider readout")
            after = _wait(lambda: (t := _total_params(page)) != before and t, 10, "the readout to change after depth changed")
            assert after != before

            # Train: the curves image changes at least twice before the run ends, and the run history gets a row
            curves = page.locator(".dsnb-curves")
            seen = [curves.get_attribute("src")]
            page.locator(".dsnb-train").click()
            deadline = time.monotonic() + scaled(120)
            while time.monotonic() < deadline and not re.match(r"(done|stopped|training failed)", _status(page)):
                src = curves.get_attribute("src")
                if src != seen[-1]: seen.append(src)
                time.sleep(0.05)
            assert _status(page).startswith("done"), _status(page)
            assert len(seen) - 1 >= 2, f"the curves changed {len(seen) - 1} times during training"
            _wait(lambda: page.locator(".dsnb-history table tbody tr").count() == 1, 10, "a row in the run history")

            # Copy as code: the code tab shows a command line and a Python cell with the settings in the page
            page.locator(".dsnb-copy-code").click()
            cli = _wait(lambda: page.locator(".dsnb-code .dsnb-cli").inner_text(), 10, "the command line")
            assert cli.startswith("deepseek-nb train") and "--depth 1" in cli and "--epochs 3" in cli, cli
            python = page.locator(".dsnb-code .dsnb-python").inner_text()
            assert "default_configs(" in python and "train(" in python and "depth=1" in python, python

            # the errors tab: clicking a cell of the confusion matrix shows exactly that cell's test samples
            page.locator(".lm-TabBar-tab", has_text=re.compile(r"^\s*errors\s*$")).click()
            page.locator(".dsnb-error-analysis").wait_for()
            cells = {}
            for button in page.locator("button[class*='dsnb-cm-']").all():
                true, predicted = re.search(r"dsnb-cm-(\d+)-(\d+)", button.get_attribute("class")).groups()
                cells[true, predicted] = int(button.inner_text())
            assert len(cells) == 100, len(cells)  # 10 x 10 digits classes
            (true, predicted), count = max(cells.items(), key=lambda c: (c[1] > 0 and c[0][0] != c[0][1], c[1]))
            page.locator(f".dsnb-cm-{true}-{predicted}").click()
            _wait(lambda: page.locator(".dsnb-ea-cell table tbody tr").count() == min(count, 24), 20,
                  f"the {count} samples of true {true} / predicted {predicted}")
            caption = page.locator(".dsnb-ea-cell").inner_text()
            assert f"true {true}" in caption and f"predicted {predicted}" in caption, caption

            # the search tab: a two-trial search of one epoch each, its table and its folder
            page.locator(".lm-TabBar-tab", has_text=re.compile(r"^\s*search\s*$")).click()
            for box, value in (("trials", "2"), ("epochs", "1")):
                page.locator(f".dsnb-search-{box} input").fill(value)
                page.keyboard.press("Tab")
            page.locator(".dsnb-search-run").click()
            search_status = lambda: page.locator(".dsnb-search-status").inner_text()
            status = _wait(lambda: re.match(r"(done|stopped|.*rror)", t := search_status()) and t, 400,
                           "the two-trial search to finish")
            assert status.startswith("done: 2 trials"), status
            assert page.locator(".dsnb-search-results tr").count() == 3  # header and two trials
            assert len((notebooks / "runs" / "sweep-digits" / "results.csv").read_text().splitlines()) == 3

            # Stop during a long run ends it: the status says stopped, after fewer epochs than asked
            page.locator(".dsnb-epochs .noUi-handle").focus()
            page.keyboard.press("End")
            _wait(lambda: page.locator(".dsnb-epochs .widget-readout").inner_text().strip() == "300", 10, "300 epochs in the slider readout")
            page.locator(".dsnb-train").click()
            _wait(lambda: re.search(r"epoch [2-9]", _status(page)), 90, "the long run to reach its second epoch")
            page.locator(".dsnb-stop").click()
            _wait(lambda: _status(page).startswith("stopped"), 60, "the run to stop")
            epochs_run = int(re.search(r"stopped: (\d+) epochs", _status(page)).group(1))
            assert 1 <= epochs_run < 300, _status(page)
            _wait(lambda: page.locator(".dsnb-history table tbody tr").count() == 2, 10, "a second row in the run history")
            _wait(lambda: page.locator(".dsnb-train").is_enabled(), 30, "Train to be enabled again")

            shot = tmp_path / "playground.png"
            page.locator(".dsnb-playground").screenshot(path=str(shot))
            if os.environ.get("DEEPSEEK_NB_UPDATE_SCREENSHOTS") == "1":
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)
                shot = SCREENSHOT
            print(f"stopped after {epochs_run} of 300 epochs; curves changed {len(seen) - 1} times in a 3-epoch run; "
                  f"screenshot {shot}")
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_own_csv_in_playground(lab):
    "Your data: a CSV typed into the path box loads with its summary shown, a bad path shows the loader's line, two epochs train."
    from playwright.sync_api import sync_playwright
    base, token, _, notebooks = lab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport=dict(width=1500, height=1100))
            _open_and_run_all(page, base, token, "own_data.ipynb")
            assert page.locator(".dsnb-own-data").is_hidden()  # the path box shows only for "your data"
            page.locator(".dsnb-dataset select").select_option("your data")
            page.locator(".dsnb-data-path input").wait_for()
            _wait(lambda: page.locator(".dsnb-train").is_disabled(), 10, "Train disabled until data are loaded")

            # a path that is not there: the loader's one-line message, no traceback
            page.locator(".dsnb-data-path input").fill(str(notebooks / "missing.csv"))
            page.locator(".dsnb-load").click()
            message = _wait(lambda: (t := page.locator(".dsnb-data-message").inner_text()) != "loading…" and t, 30, "the loader's message")
            assert "missing.csv" in message and "Traceback" not in page.locator(".dsnb-playground").inner_text(), message

            page.locator(".dsnb-data-path input").fill(str(notebooks / "reviews.csv"))
            page.locator(".dsnb-load").click()
            summary = _wait(lambda: page.locator(".dsnb-data-summary").inner_text().strip(), 60, "the data summary")
            assert re.search(r"240 texts, 2 classes, sequence length \d+ \(covers 100 % of texts\), vocabulary \d+", summary), summary
            assert "loaded reviews.csv" in page.locator(".dsnb-data-message").inner_text()
            _wait(lambda: "total" in page.locator(".dsnb-readout").inner_text(), 10, "the cost readout of the text model")

            page.locator(".dsnb-epochs .noUi-handle").focus()
            page.keyboard.press("Home"); page.keyboard.press("ArrowRight")
            _wait(lambda: page.locator(".dsnb-epochs .widget-readout").inner_text().strip() == "2", 10, "2 epochs in the slider readout")
            curves = page.locator(".dsnb-curves")
            seen = [curves.get_attribute("src")]
            _wait(lambda: page.locator(".dsnb-train").is_enabled(), 10, "Train enabled once data are loaded")
            page.locator(".dsnb-train").click()
            deadline = time.monotonic() + scaled(180)
            while time.monotonic() < deadline and not re.match(r"(done|stopped|training failed)", _status(page)):
                src = curves.get_attribute("src")
                if src != seen[-1]: seen.append(src)
                time.sleep(0.05)
            assert _status(page).startswith("done"), _status(page)
            seen.append(curves.get_attribute("src"))
            assert len(set(seen)) >= 3, f"the curves changed {len(set(seen)) - 1} times"
            row = _wait(lambda: page.locator(".dsnb-history table tbody tr").first.inner_text(), 10, "a row in the run history")
            assert "reviews" in row and re.search(r"\b([12]) / \1\b", row), row  # every epoch it was given (the slider's last key press can race the click)
            _wait(lambda: page.locator(".dsnb-train").is_enabled(), 30, "Train to be enabled again")
            page.locator(".dsnb-playground").screenshot(path=str(notebooks / "own_data.png"))
            print(f"summary: {summary}; curves changed {len(set(seen)) - 1} times; {_status(page)}")
        finally:
            browser.close()
