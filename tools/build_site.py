"""Build the course's web sites with Sphinx and myst-nb from an edition (`./course site`).

The readers' site (default) is built from the student edition: exercises present, model
solutions and the exercises' outputs absent. The teacher's site (`--answers`) is built from the
answer key, each model solution (a cell tagged `solution`) folded behind a toggle. `--lang zh`
builds the Chinese edition's site; `--switch URL --switch-label TEXT` puts a link on every page
to the same page under URL (relative to the site's root), e.g. `--switch zh/ --switch-label 中文`.

Nothing is executed (myst-nb renders the stored outputs) and nothing is fetched at build or view
time. The notebooks are copied into a staging folder first and adjusted there only (the editions
are never changed): the engine line (from `metadata.labkit`) under each chapter's title, each
figure's alt text (its output's `alt` metadata, else the line that drew it), pandas tables
without their 0..N index, the solution toggles. Sphinx's configuration is tools/site/conf.py.
Why Sphinx + myst-nb: see CONTRIBUTING.md, "Editions and the site".
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import io
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = Path(__file__).resolve().parent / "site"
NOT_RECORDED = "engine not recorded"
CHAPTER_GLOB = "[0-9][0-9]*-*.ipynb"
SOLUTION_TAG, NOTE_TAG = "solution", "edition-note"
TITLES = {"en": "The Docker Internals Workbook", "zh": "Docker 内部原理练习册"}
LANGUAGES = {"en": "en", "zh": "zh_CN"}
TEXT = {
    "en": {
        "readers": "Every chapter with the outputs recorded on a real Docker Engine; nothing was"
                   " executed to build this site. The exercises are here without their"
                   " answers: open the student edition in JupyterLab to do them.",
        "teacher": "The teacher's site: every chapter with the answer key's outputs, each model"
                   " solution folded behind a toggle. Do not publish it for learners.",
        "kind_readers": "Readers' site (student edition)",
        "kind_teacher": "Teacher's site (answer key)",
        "show": "Show the model solution", "hide": "Hide the model solution",
        "figure": "Figure drawn by",
        "chapters": "Chapters",
    },
    "zh": {
        "readers": "每一章及其在真实 Docker Engine 上记录的输出；构建本站时没有执行任何代码。"
                   "练习在此，但不附答案：请在 JupyterLab 中打开学生版来完成。",
        "teacher": "教师版网站：每一章及答案版的输出，每个参考答案都折叠在开关后面。"
                   "请勿向学生发布。",
        "kind_readers": "读者版网站（学生版）",
        "kind_teacher": "教师版网站（答案版）",
        "show": "显示参考答案", "hide": "隐藏参考答案",
        "figure": "绘图代码：",
        "chapters": "章节",
    },
}


class SiteError(Exception):
    """The site cannot be built; the message says what to do."""


@dataclass(frozen=True)
class Page:
    """One chapter page: its HTML file, title, engine line and figure files (site-relative)."""

    html: str
    title: str
    engine: str
    figures: tuple[str, ...]


def engine_line(nb: nbformat.NotebookNode, lang: str = "en") -> str:
    """Say which engine a notebook's outputs were recorded on, and when, from its metadata.

    Returns:
        e.g. "Outputs recorded on Docker Engine 29.7.2 (release 29.7, storage containerd,
        builder buildkit, firewall iptables-nft, cgroup v1) on 2026-12-05", or
        "engine not recorded".
    """
    labkit = nb.metadata.get("labkit", {})
    facts = labkit.get("recorded_on")
    if not isinstance(facts, dict) or not facts:
        return NOT_RECORDED
    parts = [f"{key} {facts[key]}" for key in ("release", "storage", "builder", "firewall")
             if facts.get(key)]
    if facts.get("cgroup"):
        parts.append(f"cgroup v{facts['cgroup']}")
    version = facts.get("version", "of an unknown version")
    run = str(labkit.get("recording_run") or "")
    date = run[:10] if re.match(r"\d{4}-\d\d-\d\d", run) else ""
    if lang == "zh":
        when = f"，记录于 {date}" if date else ""
        return f"输出记录于 Docker Engine {version}（{'，'.join(parts)}）{when}"
    when = f" on {date}" if date else ""
    return f"Outputs recorded on Docker Engine {version} ({', '.join(parts)}){when}"


def chapter_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first `# ` heading, or `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if found:
                return found.group(1).strip()
    return fallback


_ROW_HEADER = re.compile(r"(<tr[^>]*>\s*)<th>(\d+)</th>\s*")
_EMPTY_CORNER = re.compile(r"(<thead>\s*<tr[^>]*>\s*)<th></th>\s*")


def drop_range_index(table: str) -> str:
    """A pandas table's HTML without its unnamed integer row index (0..N-1, or a filtered one).

    Only a single table whose header has one row with an empty corner cell and whose every row
    is headed by an integer is changed; a named or text index is kept, and so is anything else.
    """
    if table.count('class="dataframe"') != 1 or "<tbody>" not in table:
        return table
    head, body = table.split("<tbody>", 1)
    rows = body.count("<tr")
    numbers = [int(found[2]) for found in _ROW_HEADER.finditer(body)]
    if not rows or len(numbers) != rows or head.count("<tr") != 1:
        return table
    if not _EMPTY_CORNER.search(head):
        return table
    return _EMPTY_CORNER.sub(r"\1", head, count=1) + "<tbody>" + _ROW_HEADER.sub(r"\1", body)


def figure_alt(cell: nbformat.NotebookNode, output: nbformat.NotebookNode, lang: str) -> str:
    """A figure's alt text: the output's `alt` metadata, else the line of the cell that drew it."""
    stored = output.get("metadata", {}).get("image/png", {})
    if isinstance(stored, dict) and str(stored.get("alt", "")).strip():
        return str(stored["alt"]).strip()
    lines = [line.strip() for line in cell.source.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    title = re.search(r"""title\s*=\s*f?(["'])(.+?)\1""", lines[-1]) if lines else None
    if title:
        return title[2]
    return f"{TEXT[lang]['figure']} {lines[-1]}" if lines else TEXT[lang]["figure"]


def _engine_cell(nb: nbformat.NotebookNode, lang: str) -> None:
    """Put the engine line right under the chapter's title (once per page)."""
    line = html.escape(engine_line(nb, lang))
    # An HTML block ends at a blank line only: without it the next paragraph would be raw text.
    para = f'\n\n<p class="labkit-engine-line">{line}.</p>\n\n'
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#\s+.+$", cell.source, re.MULTILINE)
            if heading:
                cell.source = (cell.source[:heading.end()] + para
                               + cell.source[heading.end():].lstrip("\n"))
                return
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(para.strip()))


def stage(nb: nbformat.NotebookNode, *, answers: bool, lang: str) -> nbformat.NotebookNode:
    """Adjust one notebook for the site (a copy; the edition on disk is never changed).

    The student edition's first cell (tag `edition-note`: engine, date, "your run replaces the
    outputs") is for JupyterLab; on a page the engine line under the title says it once.
    """
    nb.cells = [cell for cell in nb.cells if NOTE_TAG not in cell.metadata.get("tags", [])]
    _engine_cell(nb, lang)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if answers and SOLUTION_TAG in tags:
            cell.metadata["tags"] = [*tags, "hide-cell"]
            cell.metadata["mystnb"] = {"code_prompt_show": TEXT[lang]["show"],
                                       "code_prompt_hide": TEXT[lang]["hide"]}
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/html" in data:
                data["text/html"] = drop_range_index(data["text/html"])
            if "image/png" in data:
                options = cell.metadata.setdefault("mystnb", {})
                options.setdefault("image", {})["alt"] = figure_alt(cell, output, lang)
    return nb


def _index(pages: list[tuple[str, str]], *, answers: bool, lang: str) -> str:
    text = TEXT[lang]
    rows = "\n".join(f"{number}. [{title}]({name}.ipynb)"
                     for number, (name, title) in enumerate(pages, start=1))
    toc = "\n".join(name for name, _ in pages)
    return (f"# {TITLES[lang]}\n\n{text['teacher' if answers else 'readers']}\n\n"
            f"## {text['chapters']}\n\n{rows}\n\n"
            f"```{{toctree}}\n:hidden:\n:maxdepth: 2\n\n{toc}\n```\n")


def _figures(page: Path, out: Path) -> tuple[str, ...]:
    text = page.read_text(encoding="utf-8")
    found = re.findall(r'<img [^>]*src="([^"]+)"', text)
    return tuple(sorted({(page.parent / src).resolve().relative_to(out.resolve()).as_posix()
                         for src in found if "_images/" in src}))


def build(source: Path, out: Path, *, answers: bool = False, lang: str = "en",
          switch: tuple[str, str] | None = None) -> list[Page]:
    """Write one site into `out` (emptied first) from the notebooks in `source`.

    Args:
        source: an edition's folder (dist/student, dist/answer-key, dist/zh/student, ...).
        out: the site's folder.
        answers: the teacher's site (solutions folded behind a toggle).
        lang: "en" or "zh".
        switch: (URL, label) of the language switch on every page, or None.
    Returns:
        one `Page` per chapter, in name order.
    Raises:
        SiteError: no notebooks in `source`, an unknown language, or Sphinx failed.
    """
    if lang not in LANGUAGES:
        raise SiteError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    notebooks = sorted(source.glob(CHAPTER_GLOB))
    if not notebooks:
        hint = "./course editions" if lang == "en" else "./course editions (and translations)"
        raise SiteError(f"no notebooks in {source}; run {hint} first")
    if source.resolve() == out.resolve() or source.resolve().is_relative_to(out.resolve()):
        raise SiteError(f"--out {out} would delete the edition in {source}; choose another folder")
    from sphinx.application import Sphinx  # imported here: `--help` stays fast
    from sphinx.errors import SphinxError

    with tempfile.TemporaryDirectory(prefix="labkit-site-") as tmp:
        staging, build_dir = Path(tmp) / "src", Path(tmp) / "build"
        staging.mkdir()
        chapters: list[tuple[str, str, str]] = []
        for path in notebooks:
            try:
                nb = nbformat.read(path, as_version=4)
            except (OSError, ValueError, nbformat.ValidationError) as error:
                raise SiteError(f"{path} is not a readable notebook ({error}); rebuild the"
                                " edition with ./course editions") from None
            chapters.append((path.stem, chapter_title(nb, path.stem), engine_line(nb, lang)))
            nbformat.write(stage(nb, answers=answers, lang=lang), staging / path.name)
        (staging / "index.md").write_text(
            _index([(name, title) for name, title, _ in chapters], answers=answers, lang=lang),
            encoding="utf-8")
        context = {"labkit_site_kind": TEXT[lang]["kind_teacher" if answers else "kind_readers"],
                   "labkit_switch_url": switch[0] if switch else "",
                   "labkit_switch_label": switch[1] if switch else "",
                   "labkit_switch_lang": "en" if lang == "zh" else "zh"}
        warnings = io.StringIO()
        try:
            app = Sphinx(str(staging), str(CONF_DIR), str(build_dir / "html"),
                         str(build_dir / "doctrees"), "html", status=None, warning=warnings,
                         freshenv=True, confoverrides={"language": LANGUAGES[lang],
                                                       "html_title": TITLES[lang],
                                                       "project": TITLES[lang],
                                                       "html_context": context})
            app.build()
        except SphinxError as error:
            raise SiteError(f"Sphinx failed: {error}\n{warnings.getvalue()[-3000:]}") from None
        if app.statuscode:
            raise SiteError(f"Sphinx failed:\n{warnings.getvalue()[-3000:]}")
        shutil.rmtree(out, ignore_errors=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        # The theme ships its Jinja macros into _static (never served as pages); _sources is
        # empty (html_copy_source is off).
        shutil.copytree(build_dir / "html", out, ignore=shutil.ignore_patterns(
            ".buildinfo", ".doctrees", "*webpack-macros.html", "_sources"))
    return [Page(f"{name}.html", title, engine, _figures(out / f"{name}.html", out))
            for name, title, engine in chapters]


def _has_jieba() -> bool:
    """Whether Sphinx can split Chinese text into words for the search index."""
    return importlib.util.find_spec("jieba") is not None


def main(argv: list[str] | None = None) -> int:
    """`./course site [--answers] [--lang zh]`: build a site (run `./course editions` first)."""
    parser = argparse.ArgumentParser(prog="course site", description=__doc__.split("\n")[0])
    parser.add_argument("--answers", action="store_true",
                        help="the teacher's site, from the answer key (solutions behind toggles)")
    parser.add_argument("--lang", choices=sorted(LANGUAGES), default="en")
    parser.add_argument("--source", type=Path, help="the edition (default: dist/[zh/]student,"
                        " or dist/[zh/]answer-key with --answers)")
    parser.add_argument("--out", type=Path, help="the site (default: dist/site, or"
                        " dist/site-answers with --answers; under zh/ with --lang zh)")
    parser.add_argument("--switch", metavar="URL",
                        help="link every page to the same page under URL, e.g. zh/ or ../")
    parser.add_argument("--switch-label", metavar="TEXT", help="the switch's label, e.g. 中文")
    args = parser.parse_args(argv)
    if bool(args.switch) != bool(args.switch_label):
        print("site: --switch and --switch-label go together", file=sys.stderr)
        return 2
    dist = ROOT / "dist" / ("zh" if args.lang == "zh" else "")
    source = args.source or dist / ("answer-key" if args.answers else "student")
    site = ROOT / "dist" / ("site-answers" if args.answers else "site")
    out = args.out or (site / "zh" if args.lang == "zh" else site)
    switch = (args.switch, args.switch_label) if args.switch else None
    try:
        pages = build(source, out, answers=args.answers, lang=args.lang, switch=switch)
    except SiteError as error:
        print(f"site: {error}", file=sys.stderr)
        return 1
    if args.lang == "zh" and not _has_jieba():
        print("site: jieba is not installed, so the Chinese search finds only Latin words"
              " (pip install jieba: Sphinx's Chinese word splitter)", file=sys.stderr)
    for page in pages:
        print(f"  {page.html}: {len(page.figures)} figure(s); {page.engine}")
    kind = "teacher's" if args.answers else "readers'"
    print(f"site: {out / 'index.html'} ({kind} site, {args.lang}, {len(pages)} chapters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
