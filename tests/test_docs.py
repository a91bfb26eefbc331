"""The rendered edition (.ci/make_docs.py) as a reader sees it, in Debian's headless Chromium (Playwright).

Builds a small site into a temporary folder (index.ipynb and two quick chapters, executed; 03_training, which
has maths, with --no-execute), then opens the pages from disk: the index lists the chapters with their
summaries and its links lead to them, the figures decode, no cell shows an error, the API reference gives
exported names with their signatures, previous / next links join the chapters, MathJax typesets the
formulas, and no page asks the network for anything. The build leaves the work tree as it was. Skips without
chromium, Playwright or MathJax (libjs-mathjax), unless DEEPSEEK_NB_REQUIRE_BROWSER=1 (as in CI): then fails.
"""
import json, os, re, subprocess, sys
from pathlib import Path
import pytest
from conftest import scaled

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
MATHJAX = Path(os.environ.get("MATHJAX_DIR", "/usr/share/javascript/mathjax"))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
CHAPTERS = ["00_config", "00c_plotting"]  # quick to run; 00c_plotting draws figures
MATHS = "03_training"  # has LaTeX in its prose
IMAGES = "[...document.querySelectorAll('main img')].map(i => [i.complete, i.naturalWidth])"


def _requirements():
    "Skip (or fail where the browser is required) when chromium, Playwright or MathJax is missing."
    missing = [] if Path(CHROMIUM).exists() else [CHROMIUM]
    try: import playwright.sync_api  # noqa: F401
    except ImportError: missing.append("the playwright Python package")
    if not (MATHJAX / "MathJax.js").exists(): missing.append(f"MathJax in {MATHJAX} (libjs-mathjax)")
    if missing:
        message = "browser test needs " + ", ".join(missing)
        if os.environ.get("DEEPSEEK_NB_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (DEEPSEEK_NB_REQUIRE_BROWSER=1)")
        pytest.skip(message)


def _git_status() -> set:
    result = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                            capture_output=True, text=True)
    return set(result.stdout.splitlines()) if result.returncode == 0 else set()


def _make_docs(*args, env=None):
    result = subprocess.run([sys.executable, ".ci/make_docs.py", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True, timeout=scaled(600), env={**os.environ, **(env or {})})
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    return result


def _summary(name: str) -> str:
    "The `> description` line of a notebook's title cell."
    cells = json.loads((ROOT / "nbs" / f"{name}.ipynb").read_text())["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
    return re.search(r"^>\s*(.+)$", first, re.M).group(1).strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "(executed site folder, maths-only site folder): built into a temporary folder, the work tree untouched."
    _requirements()
    out = tmp_path_factory.mktemp("site")
    before = _git_status()
    _make_docs("--only", *CHAPTERS, "--no-cache", "--out", out / "run")
    _make_docs("--only", MATHS, "--no-execute", "--out", out / "maths")
    added = _git_status() - before
    assert not added, f"building the docs changed the work tree: {sorted(added)}"
    return out / "run", out / "maths"


def _typeset(page):
    "Wait until MathJax has finished with the page (the page template marks <body> when it has)."
    page.wait_for_function("document.body.getAttribute('data-mathjax') === 'done'", timeout=scaled(30_000))


def _check_chapter(page, name: str):
    "Images decode, no error output, no directives in the code, the API reference shows a signature."
    main = page.locator("main")
    text = main.inner_text()
    assert "Traceback" not in text, f"{name}: a traceback in the page"
    assert page.locator(".jp-OutputArea-output.output_error, .output_error").count() == 0, name
    for stream in page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').all():
        assert "Error" not in stream.inner_text(), f"{name}: an error on stderr: {stream.inner_text()[:500]}"
    sizes = page.evaluate(IMAGES)
    assert all(done and width > 0 for done, width in sizes), f"{name}: an image did not decode: {sizes}"
    code = "\n".join(page.locator(".jp-InputArea").all_inner_texts())
    assert code and "#|" not in code, f"{name}: nbdev directives left in the shown code"
    api = page.locator(".celltag_dsnb-api")
    assert api.count() > 0, f"{name}: no API reference"
    first = api.first
    exported = first.locator("h3").inner_text().strip()
    signature = first.locator("pre").first.inner_text()
    assert re.match(r"^\w+$", exported) and f"{exported}(" in signature, (exported, signature)
    return page.locator(".jp-OutputArea-output img").count()  # the figures


@pytest.mark.browser
def test_rendered_edition(site):
    from playwright.sync_api import sync_playwright
    run, maths = site
    network, failed, errors = [], [], []

    def refuse(route):
        if not re.match(r"^(https?|wss?)://", route.request.url): return route.continue_()
        network.append(route.request.url)
        route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            context = browser.new_context(viewport=dict(width=1300, height=1000))
            context.route("**/*", refuse)
            page = context.new_page()
            page.set_default_timeout(scaled(30_000))  # milliseconds in Playwright
            page.on("requestfailed", lambda request: failed.append((request.url[:200], request.failure)))
            page.on("pageerror", lambda error: errors.append(str(error)))

            # the index: index.ipynb's text, then the chapters in order with their summaries
            page.goto((run / "index.html").as_uri())
            _typeset(page)
            assert page.locator("main h1").first.inner_text().strip() == "deepseek-nb"
            items = page.locator(".dsnb-chapters li")
            assert items.count() == len(CHAPTERS)
            for item, name in zip(items.all(), CHAPTERS):
                assert item.locator("a").get_attribute("href") == f"{name}.html"
                assert item.locator(".dsnb-summary").inner_text().strip() == _summary(name)
            assert page.locator("main img").count() > 0  # index.ipynb's pictures, embedded
            sizes = page.evaluate(IMAGES)
            assert all(done and width > 0 for done, width in sizes), f"an image did not decode: {sizes}"

            # each chapter through the index's link: figures, no errors, the API reference, the navigation
            figures = {}
            for position, name in enumerate(CHAPTERS):
                page.goto((run / "index.html").as_uri())
                page.locator(".dsnb-chapters li a").nth(position).click()
                page.wait_for_url(f"**/{name}.html")
                _typeset(page)
                title = page.locator("main h1").first.inner_text().strip()
                assert title and title in page.title(), (title, page.title())
                figures[name] = _check_chapter(page, name)
                nav = page.locator("nav.dsnb-nav").first
                assert nav.locator("a.dsnb-home").get_attribute("href") == "index.html"
                before = nav.locator("a.dsnb-prev")
                after = nav.locator("a.dsnb-next")
                assert before.count() == (position > 0) and after.count() == (position + 1 < len(CHAPTERS))
                if position + 1 < len(CHAPTERS):
                    assert after.get_attribute("href") == f"{CHAPTERS[position + 1]}.html"
            assert figures["00c_plotting"] > 0, f"00c_plotting draws figures, the page has none: {figures}"

            # next and previous lead where they say
            page.goto((run / f"{CHAPTERS[0]}.html").as_uri())
            page.locator("nav.dsnb-nav a.dsnb-next").first.click()
            page.wait_for_url(f"**/{CHAPTERS[1]}.html")
            page.locator("nav.dsnb-nav a.dsnb-prev").first.click()
            page.wait_for_url(f"**/{CHAPTERS[0]}.html")

            # maths: 03_training's formulas typeset as SVG by the local MathJax, no TeX source left showing
            page.goto((maths / f"{MATHS}.html").as_uri())
            _typeset(page)
            formulas = page.locator("script[type^='math/tex']").count()
            rendered = page.locator(".MathJax_SVG svg").count()
            assert formulas > 0 and rendered >= formulas, (formulas, rendered)
            assert page.locator("text=slow cell: not run here").count() > 0  # the flagged cells say so
            assert "\\eta" not in page.locator("main").inner_text()
        finally:
            browser.close()
    assert not network, f"the site asked the network for {network}"
    missing = [(url, why) for url, why in failed if "ERR_ABORTED" not in (why or "")]  # aborted: page left
    assert not missing, f"requests that failed (missing files): {missing}"
    assert not errors, f"JavaScript errors: {errors}"


def _load_make_docs():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / ".ci" / "make_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_headless_shell_settings_do_not_reach_the_pages(tmp_path):
    "With a headless server's MPLBACKEND=Agg in the shell, 00c_plotting's page still has its figures (no browser needed)."
    mathjax = tmp_path / "mathjax"  # the builder only needs MathJax to exist; the page is read as text here
    mathjax.mkdir(); (mathjax / "MathJax.js").write_text("")
    _make_docs("--only", "00c_plotting", "--no-cache", "--jobs", "1", "--out", tmp_path / "site",
               env=dict(MPLBACKEND="Agg", MATHJAX_DIR=str(mathjax)))
    html = (tmp_path / "site" / "00c_plotting.html").read_text()
    figures = re.findall(r'class="jp-RenderedImage[^"]*"[^>]*>\s*<img[^>]*src="data:image/png;base64,', html)
    assert figures, "00c_plotting draws figures; its page built with MPLBACKEND=Agg has none"
    assert "Figure size" not in html, re.findall(r".{80}Figure size.{80}", html)[:3]


def test_the_cache_key_covers_how_the_notebooks_ran(monkeypatch):
    "The shell's MPLBACKEND does not reach the kernels, so it keys nothing; a variable that changes outputs does."
    import nbformat
    make_docs = _load_make_docs()
    nb = nbformat.read(ROOT / "nbs" / "00c_plotting.ipynb", as_version=4)
    key = lambda: make_docs.execution_key(nb, set(), "deepseek_nb")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    before = key()
    monkeypatch.setenv("MPLBACKEND", "Agg")
    assert make_docs.kernel_env()["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert key() == before
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    assert key() != before
