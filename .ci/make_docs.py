"""Build the rendered edition: the notebooks in nbs/ as a static, offline HTML site in _docs/ (issue 17).

Quarto, which `nbdev_docs` uses, is not installable on these machines, so this script does its job:

- executes every notebook in nbs/ with the `python3` kernel, `--jobs` at a time (default: one per CPU, at most
  4), each in its own temporary copy of nbs/ (so nothing the notebooks write lands in the work tree, and two
  notebooks writing `runs/digits` do not meet), skipping the cells flagged
  with one of settings.ini's `tst_flags` (`#| slow`) exactly as `nbdev_test` does; the page says so; the
  kernels draw figures inline whatever the shell's MPLBACKEND (a headless server's `Agg` would leave text);
- renders a notebook whose code cells already hold their outputs (the walkthroughs) as stored, unexecuted,
  and reuses the outputs of an earlier successful run while the notebook's code, the package, data/, the
  kernel's environment variables that change outputs and the versions of TensorFlow, Keras, NumPy,
  matplotlib and ipykernel are unchanged (kept in _proc/docs_cache/, which git ignores; `--no-cache` runs
  everything afresh);
- hides `#| hide` cells, strips the `#|` directives from the shown code and puts the API reference (nbdev's
  `show_doc`: signature and docstring) after each `#| export` cell, as nbdev's docs do;
- writes one page per notebook (`_docs/00_config.html`, ...) with its figures embedded, previous / next /
  contents links, and `_docs/index.html`: index.ipynb's text, then the chapters with their one-line summaries
  (each notebook's `> description`);
- typesets the maths with MathJax copied from Debian's libjs-mathjax (`apt-get install -y libjs-mathjax`), so
  the site loads nothing from the network.

    python .ci/make_docs.py                          # the whole site into _docs/
    python .ci/make_docs.py --only 00_config 03a_runs  # some chapters (index.html is always built)
    python .ci/make_docs.py --no-execute             # stored outputs only, no kernel
    python .ci/make_docs.py --out /tmp/site --timeout 300 --no-cache --jobs 1

Exits 1 when a cell fails (naming the notebook, the cell and the error; the page is still written, with the
error), 2 when MathJax is missing.
"""
import argparse, ast, base64, configparser, hashlib, os, re, shutil, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "docs_assets"
MATHJAX = Path(os.environ.get("MATHJAX_DIR", "/usr/share/javascript/mathjax"))
MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_SVG-full.js", "config/local", "extensions", "jax/input/TeX",
                 "jax/element", "jax/output/SVG/jax.js", "jax/output/SVG/config.js",
                 "jax/output/SVG/autoload", "jax/output/SVG/fonts/TeX", "localization/en"]
DIRECTIVE = re.compile(r"^\s*#\s*\|\s*(.*?)\s*$")
WIDGET = "application/vnd.jupyter.widget-view+json"
SCREENSHOT = ROOT / "docs" / "images" / "playground.png"
# The kernels draw inline, whatever the shell says (MPLBACKEND=Agg on a headless server left `<Figure size ...>`
# text where the figures belong). OUTPUT_ENV and OUTPUT_PACKAGES change what the notebooks show: they key the cache.
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}
OUTPUT_ENV = ("MPLBACKEND", "TF_CPP_MIN_LOG_LEVEL", "PYTHONHASHSEED", "TF_ENABLE_ONEDNN_OPTS", "CUDA_VISIBLE_DEVICES",
              "KERAS_BACKEND")
OUTPUT_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipykernel")


def settings() -> dict:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "settings.ini")
    return dict(parser["DEFAULT"])


def directives(source: str):
    "nbdev's cell directives (leading `#| name args` lines) as {name: args}, and the source without them."
    lines, found = source.splitlines(), {}
    while lines and DIRECTIVE.match(lines[0]):
        name, *args = DIRECTIVE.match(lines.pop(0)).group(1).split() or [""]
        found[name.rstrip(":")] = args
    return found, "\n".join(lines).strip("\n")


def title_and_summary(nb):
    "The `# Title` and `> description` of an nbdev notebook's first markdown cell."
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = re.search(r"^#\s+(.+)$", first, re.M)
    summary = re.search(r"^>\s*(.+)$", first, re.M)
    return (title.group(1).strip() if title else None), (summary.group(1).strip() if summary else "")


def _shows_something(source: str) -> bool:
    "Whether a code cell ends in an expression, so that running it leaves an output."
    from IPython.core.inputtransformer2 import TransformerManager
    if source.rstrip().endswith(";"): return False
    try: body = ast.parse(TransformerManager().transform_cell(source)).body
    except SyntaxError: return True
    return bool(body) and isinstance(body[-1], ast.Expr)


def has_stored_outputs(nb, skipped) -> bool:
    "Outputs stored for every code cell that shows something (a notebook committed after a run)."
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if not any(c.outputs for _, c in code): return False
    for i, cell in code:
        found, source = directives(cell.source)
        if i in skipped or "export" in found or not source.strip(): continue
        if _shows_something(source) and not cell.outputs: return False
    return True


def skipped_cells(nb, flags) -> set:
    "Indices of the cells nbdev_test does not run: those with a directive among settings.ini's tst_flags."
    return {i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and set(directives(cell.source)[0]) & flags}


def execute(nb, name: str, workdir: Path, skip: set, timeout: int):
    "Run `nb` in place in `workdir`; returns None, or a message naming the failing cell and the error."
    from nbconvert.filters import strip_ansi
    from nbconvert.preprocessors import ExecutePreprocessor

    class Executor(ExecutePreprocessor):
        def setup_kernel(self, **kwargs):  # the kernel gets kernel_env(), not the shell's environment as it is
            return super().setup_kernel(env=kernel_env(), **kwargs)

        def preprocess_cell(self, cell, resources, index):
            if index in skip: return cell, resources
            self.current = index
            return super().preprocess_cell(cell, resources, index)

    runner = Executor(timeout=timeout, kernel_name="python3", allow_errors=False)
    runner.current = None
    try: runner.preprocess(nb, {"metadata": {"path": str(workdir)}})
    except Exception as error:  # CellExecutionError, CellTimeoutError, DeadKernelError, no kernel
        where = "before the first cell"
        if runner.current is not None:
            cell = nb.cells[runner.current]
            first = cell.source.strip().splitlines() or [""]
            where = f"cell {runner.current} (from 0; id {cell.get('id', '?')}; code {first[0][:60]!r})"
        message = strip_ansi(str(error)).strip().splitlines()
        reason = f"{type(error).__name__}: " + "\n".join(message[-25:])
        return f"{name}: {where} failed:\n{reason}"
    return None


def kernel_env() -> dict:
    "The environment the notebooks run in: this process's, with KERNEL_ENV over it."
    return {**os.environ, **KERNEL_ENV}


def execution_key(nb, skip: set, lib: str) -> str:
    """What a notebook's outputs depend on: its code cells, which of them run, the package, the bundled data,
    the kernel's environment variables that change outputs (OUTPUT_ENV) and the versions of OUTPUT_PACKAGES."""
    from importlib.metadata import PackageNotFoundError, version
    digest = hashlib.sha256(sys.version.encode())
    env = kernel_env()
    digest.update(repr([(name, env.get(name)) for name in OUTPUT_ENV]).encode())
    for package in OUTPUT_PACKAGES:
        try: digest.update(f"{package}=={version(package)}\0".encode())
        except PackageNotFoundError: digest.update(f"{package} missing\0".encode())
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code": digest.update(f"{i in skip}\0{cell.source}\0".encode())
    for path in sorted([*(ROOT / lib).glob("*.py"), *(ROOT / "data").rglob("*")]):
        if path.is_file(): digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def reuse(nb, cached: Path, key: str) -> bool:
    "Copy the outputs of an earlier successful run of the same code (`cached`), if there is one."
    import nbformat
    if not cached.exists(): return False
    old = nbformat.read(cached, as_version=4)
    if old.metadata.get("make_docs_key") != key: return False
    for cell, before in zip(*[[c for c in book.cells if c.cell_type == "code"] for book in (nb, old)]):
        cell.outputs = before.outputs
    if "widgets" in old.metadata: nb.metadata["widgets"] = old.metadata["widgets"]
    return True


def remember(nb, cached: Path, key: str) -> None:
    import nbformat
    cached.parent.mkdir(parents=True, exist_ok=True)
    copy = nbformat.from_dict(nb)
    copy.metadata["make_docs_key"] = key
    nbformat.write(copy, cached)


def _note(text: str, css: str = "dsnb-note"):
    from nbformat.v4 import new_output
    html = f'<div class="{css}">{text}</div>'
    return new_output("display_data", data={"text/html": html, "text/plain": text})


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _static_widget(output, source: str, widgets: dict) -> None:
    "A widget does not run in a static page: the Playground's screenshot, an HTML widget's HTML, or a note."
    model = widgets.get(output.data.pop(WIDGET).get("model_id"), {}).get("state", {})
    where = "It runs in JupyterLab (open the notebook there); a static page cannot run it."
    if ("dsnb-playground" in model.get("_dom_classes", ()) or re.search(r"\bPlayground\(", source)) \
            and SCREENSHOT.exists():
        output.data["text/html"] = (
            f'<figure class="dsnb-widget"><img alt="The Playground" src="{_data_uri(SCREENSHOT)}">'
            f"<figcaption>The Playground, as the browser test sees it. {where}</figcaption></figure>")
    elif model.get("_model_name") == "HTMLModel": output.data["text/html"] = model.get("value", "")
    else: output.data["text/html"] = f'<div class="dsnb-note">An interactive widget. {where}</div>'


def api_cells(module, source: str, shown: set):
    "Markdown cells with show_doc (signature, docstring) for each public function and class in `source`."
    from nbdev.showdoc import show_doc
    from nbformat.v4 import new_markdown_cell
    try: tree = ast.parse(source)
    except SyntaxError: return []
    cells = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): continue
        if node.name.startswith("_") or node.name in shown or not hasattr(module, node.name): continue
        shown.add(node.name)
        markdown = show_doc(getattr(module, node.name), name=node.name)._repr_markdown_()
        markdown = re.sub(r"^\[source\]\(.*$", "", markdown, flags=re.M)  # a Quarto link, to no line
        cells.append(new_markdown_cell(markdown.strip(), metadata={"tags": ["dsnb-api"]}))
    return cells


def prepare(nb, skip: set, lib: str):
    "The notebook as nbdev's docs show it: hidden cells gone, directives stripped, show_doc after exports."
    import importlib
    module = next((ds[0] for c in nb.cells if c.cell_type == "code"
                   for ds in [directives(c.source)[0].get("default_exp")] if ds), None)
    module = importlib.import_module(f"{lib}.{module}") if module else None
    widgets = nb.metadata.pop("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    widgets = widgets.get("state", {})
    cells, shown = [], set()
    for i, cell in enumerate(nb.cells):
        found, source = directives(cell.source) if cell.cell_type == "code" else ({}, cell.source)
        if "hide" in found: continue
        if cell.cell_type != "code": cells.append(cell); continue
        cell.source = source
        if i in skip and not cell.outputs:
            cell.outputs = [_note("slow cell: not run here (nbdev_test skips it too); its results are in "
                                  "BENCHMARKS.md, or run it in JupyterLab")]
        for output in cell.outputs:
            if WIDGET in output.get("data", {}): _static_widget(output, source, widgets)
        if source.strip() or cell.outputs: cells.append(cell)
        if module is not None and "export" in found: cells += api_cells(module, source, shown)
    nb.cells = cells
    return nb


def copy_assets(out: Path) -> None:
    "The shared style sheets and the part of MathJax the pages use (TeX input, SVG output) into out/assets/."
    from jupyter_core.paths import jupyter_path
    assets = out / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    lab = next(Path(p) for p in jupyter_path("nbconvert", "templates", "lab", "static") if Path(p).exists())
    styles = [(lab / css).read_text() for css in ("index.css", "theme-light.css")]
    (assets / "lab.css").write_text("\n".join(styles))
    shutil.copy(ASSETS / "site.css", assets / "site.css")
    for part in MATHJAX_PARTS:
        src, dst = MATHJAX / part, assets / "mathjax" / part
        if src.is_dir(): shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.exists(): dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy(src, dst)


def render(nb, name: str, site: dict, exporter) -> str:
    resources = {"metadata": {"name": name, "path": str(ROOT / "nbs")}, "site": site}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    notebooks = {p.stem for p in (ROOT / "nbs").glob("*.ipynb")}
    link = lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"' if m.group(1) in notebooks else m.group(0)
    html = re.sub(r'href="([\w.-]+)\.ipynb(#[^"]*)?"', link, html)
    return re.sub(r'(<img\b[^>]*\bsrc=")([^":]+\.png)"', _embed_from_repo, html)


def _embed_from_repo(match) -> str:
    "An image the markdown links from elsewhere in the repository (../docs/images/...), embedded too."
    path = (ROOT / "nbs" / match.group(2)).resolve()
    if not path.is_file() or ROOT not in path.parents: return match.group(0)
    return f'{match.group(1)}{_data_uri(path)}"'


def outputs(nb, name: str, skip: set, how: dict) -> tuple:
    "Give `nb` its outputs (stored, reused or by running it); returns (what was done, failure or None)."
    code = [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.strip() and i not in skip]
    if not how["run"] or not code:
        return "rendered without running" + ("" if code else " (nothing to run)"), None
    if has_stored_outputs(nb, skip): return "rendered as stored", None
    cache = how["cache"] and how["cache"] / f"{name}.ipynb"
    key = cache and execution_key(nb, skip, how["lib"])
    if cache and reuse(nb, cache, key): return f"outputs reused from {cache} (same code and package)", None
    problem = execute(nb, f"{name}.ipynb", how["work"], skip, how["timeout"])
    if cache and not problem: remember(nb, cache, key)
    return f"executed, {len(skip)} slow cell(s) skipped" + (" (FAILED)" if problem else ""), problem


def chapters_of(books: dict) -> list:
    "Title, summary and page of each chapter, in order (index.ipynb is the home page, not a chapter)."
    found = []
    for name, nb in books.items():
        if name == "index": continue
        title, summary = title_and_summary(nb)
        found.append(dict(name=name, href=f"{name}.html", title=title or name, summary=summary))
    return found


def build(names, out: Path, run: bool, timeout: int, cache, jobs: int = 1) -> list:
    "Build the site into `out`; returns the failure messages (empty when every cell ran)."
    import nbformat
    from nbconvert import HTMLExporter
    conf = settings()
    nbs, lib = ROOT / conf.get("nbs_path", "nbs"), conf["lib_name"]
    flags = set(conf.get("tst_flags", "").split())
    sys.path.insert(0, str(ROOT))  # show_doc documents this checkout's package, and so do the kernels:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    every = sorted(p.stem for p in nbs.glob("*.ipynb") if p.stem != "index")
    unknown = set(names or []) - set(every) - {"index"}
    if unknown: sys.exit(f"make_docs: no notebook {', '.join(sorted(unknown))} in {nbs}")
    books = {n: nbformat.read(nbs / f"{n}.ipynb", as_version=4)
             for n in ["index"] + [n for n in every if not names or n in names]}
    chapters, project, failures = chapters_of(books), conf.get("title", lib), []
    copy_assets(out)
    exporter = HTMLExporter(template_name="dsnb", extra_template_basedirs=[str(ASSETS)], embed_images=True,
                            exclude_input_prompt=True, exclude_output_prompt=True, exclude_anchor_links=True)
    with tempfile.TemporaryDirectory(prefix="make_docs-") as tmp:  # each notebook runs in its own copy of nbs/

        def give_outputs(name: str):
            started, nb = time.monotonic(), books[name]
            work = Path(tmp) / name / nbs.name
            shutil.copytree(nbs, work, ignore=shutil.ignore_patterns("runs", "__pycache__", ".ipynb_*"))
            how = dict(run=run, cache=cache, lib=lib, work=work, timeout=timeout)
            done, problem = outputs(nb, name, skipped_cells(nb, flags), how)
            print(f"{name}: {done} in {time.monotonic() - started:.0f} s", flush=True)
            return done, problem

        with ThreadPoolExecutor(max(1, jobs)) as pool:  # the kernels are processes: threads only wait on them
            results = dict(zip(books, pool.map(give_outputs, books)))
        for here, (name, nb) in enumerate(books.items(), start=-1):  # -1: the index
            done, problem = results[name]
            if problem:
                failures.append(problem)
                print(problem, file=sys.stderr)
            stderr = sum(o.get("name") == "stderr" for c in nb.cells if c.cell_type == "code"
                         for o in c.outputs)
            prepare(nb, skipped_cells(nb, flags), lib)
            nb.metadata["title"] = f"{chapters[here]['title']} - {project}" if here >= 0 else project
            site = dict(project=project, prev=chapters[here - 1] if here > 0 else None,
                        next=chapters[here + 1] if here + 1 < len(chapters) else None,
                        chapters=chapters if here < 0 else [], footer=f"Rendered from nbs/{name}.ipynb.")
            (out / f"{name}.html").write_text(render(nb, name, site, exporter), encoding="utf-8")
            note = f"; {stderr} output(s) on stderr" if stderr else ""
            print(f"{name}.html: {done}{note}", flush=True)
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="notebooks to build (name without .ipynb)")
    parser.add_argument("--out", type=Path, default=ROOT / settings().get("doc_path", "_docs"),
                        help="folder for the site (default: _docs)")
    parser.add_argument("--no-execute", action="store_true", help="render stored outputs; run no notebook")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may run (default: 600)")
    parser.add_argument("--cache", type=Path, default=ROOT / "_proc" / "docs_cache",
                        help="where executed notebooks are kept for reuse while their code, the package and "
                             "the data are unchanged (default: _proc/docs_cache, ignored by git)")
    parser.add_argument("--no-cache", action="store_true", help="run every notebook afresh and keep nothing")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="notebooks executed at the same time (default: one per CPU, at most 4)")
    args = parser.parse_args(argv)
    if not (MATHJAX / "MathJax.js").exists():
        print(f"make_docs: MathJax not found in {MATHJAX}: apt-get install -y libjs-mathjax "
              "(or set MATHJAX_DIR)", file=sys.stderr)
        return 2
    started = time.monotonic()
    names = [n.removesuffix(".ipynb") for n in args.only] if args.only else None
    cache = None if args.no_cache else args.cache.resolve()
    failures = build(names, args.out.resolve(), not args.no_execute, args.timeout, cache, args.jobs)
    print(f"wrote {args.out} in {time.monotonic() - started:.0f} s")
    if failures:
        names = ", ".join(failure.split(":")[0] for failure in failures)
        print(f"{len(failures)} notebook(s) failed: {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
