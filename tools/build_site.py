"""Build the course's static web site from the answer key's stored outputs (`./course site`).

One HTML page per chapter (nbconvert's HTML exporter, nothing is executed), its figures written
beside it as PNG files, and an index page linking every chapter. Every page says which engine
its outputs were recorded on (`metadata.labkit.recorded_on`, written by
`tools/execute_notebook.py`), or "engine not recorded". The pages load nothing from other hosts.
Why not mystmd or Jupyter Book 2: see CONTRIBUTING.md, "Editions and the site".
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExtractOutputPreprocessor
from nbconvert.writers import FilesWriter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
NOT_RECORDED = "engine not recorded"
TITLE = "The Docker Internals Workbook"


@dataclass(frozen=True)
class Page:
    """One chapter page: its HTML file, title, engine line and figure files (site-relative)."""

    html: str
    title: str
    engine: str
    figures: tuple[str, ...]


def engine_line(nb: nbformat.NotebookNode) -> str:
    """Say which engine a notebook's outputs were recorded on, from its metadata.

    Returns:
        e.g. "Outputs recorded on Docker Engine 20.10.24+dfsg1 (release 20.10, storage
        overlay2, builder classic, firewall iptables-nft, cgroup v1)", or "engine not recorded".
    """
    facts = nb.metadata.get("labkit", {}).get("recorded_on")
    if not isinstance(facts, dict) or not facts:
        return NOT_RECORDED
    parts = [f"{key} {facts[key]}" for key in ("release", "storage", "builder", "firewall")
             if facts.get(key)]
    if facts.get("cgroup"):
        parts.append(f"cgroup v{facts['cgroup']}")
    version = facts.get("version", "of an unknown version")
    return f"Outputs recorded on Docker Engine {version} ({', '.join(parts)})"


def chapter_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The notebook's first `# ` heading, or `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if found:
                return found.group(1).strip()
    return fallback


# JupyterLab's look without its CDN scripts (require.js, MathJax, mermaid): the pages must
# render in a classroom without the Internet, and no chapter uses math, diagrams-as-code or widgets.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _exporter() -> HTMLExporter:
    config = Config()
    config.ExtractOutputPreprocessor.extract_output_types = {"image/png"}
    exporter = HTMLExporter(config=config, template_name="lab", template_file="offline.html.j2",
                            extra_loaders=[DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})])
    exporter.register_preprocessor(ExtractOutputPreprocessor(config=config), enabled=True)
    return exporter


def _banner(nb: nbformat.NotebookNode, engine: str, prev: str | None, nxt: str | None) -> None:
    links = ["[All chapters](index.html)"]
    if prev:
        links.append(f"[← previous]({prev})")
    if nxt:
        links.append(f"[next →]({nxt})")
    text = f"{' · '.join(links)}\n\n**{engine}.**"
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text, metadata={"labkit-site": "banner"}))


def build(source: Path, out: Path) -> list[Page]:
    """Write the site into `out` (emptied first) from the notebooks in `source`.

    Returns:
        one `Page` per chapter, in name order.
    """
    notebooks = sorted(source.glob("[0-9][0-9]*-*.ipynb"))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    exporter, writer = _exporter(), FilesWriter(build_directory=str(out))
    pages: list[Page] = []
    names = [f"{path.stem}.html" for path in notebooks]
    for index, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        engine, title = engine_line(nb), chapter_title(nb, path.stem)
        _banner(nb, engine, names[index - 1] if index else None,
                names[index + 1] if index + 1 < len(names) else None)
        body, resources = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title}, "output_files_dir": f"{path.stem}_files"})
        writer.write(body, resources, notebook_name=path.stem)
        figures = tuple(sorted(resources.get("outputs", {})))
        pages.append(Page(names[index], title, engine, figures))
    (out / "index.html").write_text(_index(pages))
    return pages


def _index(pages: list[Page]) -> str:
    rows = "\n".join(
        f'<li><a href="{html.escape(p.html)}">{html.escape(p.title)}</a>'
        f" <small>({len(p.figures)} figures; {html.escape(p.engine)})</small></li>"
        for p in pages)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<style>body {{ font-family: sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; }}
li {{ margin: .5em 0; }} small {{ color: #555; }}</style></head>
<body><h1>{TITLE}</h1>
<p>Every chapter with the outputs stored in the answer key; nothing here was executed to build
it. Each page says which Docker Engine its outputs were recorded on.</p>
<ol>
{rows}
</ol></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """`./course site`: build the site from the answer key (run `./course editions` first)."""
    parser = argparse.ArgumentParser(prog="course site", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "dist" / "answer-key")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "site")
    args = parser.parse_args(argv)
    if not any(args.source.glob("[0-9][0-9]*-*.ipynb")):
        print(f"site: no notebooks in {args.source}; run ./course editions first", file=sys.stderr)
        return 1
    pages = build(args.source, args.out)
    for page in pages:
        print(f"  {page.html}: {len(page.figures)} figure(s); {page.engine}")
    print(f"site: {args.out / 'index.html'} ({len(pages)} chapters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
