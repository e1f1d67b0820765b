"""tools/build_site.py: the static site, built from the stored outputs (nothing executed)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .tool_modules import load

ROOT = Path(__file__).resolve().parents[2]
build_site = load("build_site")
editions = load("editions")
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
       "rkJggg==")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The course's own site, from an answer key built from notebooks/ (about 10 s)."""
    base = tmp_path_factory.mktemp("site")
    editions.build(ROOT / "notebooks", base / "dist")
    return base / "site", build_site.build(base / "dist" / "answer-key", base / "site")


def _pngs(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_every_chapter_has_a_page_linked_from_the_index(site: tuple[Path, list]) -> None:
    out, pages = site
    chapters = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
    assert [p.html for p in pages] == [f"{c}.html" for c in chapters]
    index = (out / "index.html").read_text()
    for chapter in chapters:
        assert (out / f"{chapter}.html").is_file()
        assert f'href="{chapter}.html"' in index


def test_every_figure_is_there_and_shown(site: tuple[Path, list]) -> None:
    out, pages = site
    for page in pages:
        nb = nbformat.read(ROOT / "notebooks" / page.html.replace(".html", ".ipynb"), 4)
        assert len(page.figures) == _pngs(nb)
        text = (out / page.html).read_text()
        for figure in page.figures:
            assert (out / figure).stat().st_size > 100
            assert f'src="{figure}"' in text


def test_every_page_names_its_engine(site: tuple[Path, list]) -> None:
    out, pages = site
    for page in pages:
        nb = nbformat.read(ROOT / "notebooks" / page.html.replace(".html", ".ipynb"), 4)
        facts = nb.metadata.get("labkit", {}).get("recorded_on")
        text = (out / page.html).read_text()
        if facts:
            assert f"Outputs recorded on Docker Engine {facts['version']}" in text
            assert f"storage {facts['storage']}" in text
        else:
            assert build_site.NOT_RECORDED in text


def test_the_pages_load_nothing_from_other_hosts(site: tuple[Path, list]) -> None:
    out, _ = site
    for page in out.glob("*.html"):
        text = page.read_text()
        assert "<script" not in text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), page.name


def test_engine_line(tmp_path: Path) -> None:
    recorded = new_notebook(metadata={"labkit": {"recorded_on": {
        "version": "28.5.1", "release": "28.5", "storage": "containerd", "builder": "buildkit",
        "firewall": "nftables", "cgroup": "2"}}})
    assert build_site.engine_line(recorded) == (
        "Outputs recorded on Docker Engine 28.5.1 (release 28.5, storage containerd,"
        " builder buildkit, firewall nftables, cgroup v2)")
    assert build_site.engine_line(new_notebook()) == "engine not recorded"


def test_a_notebook_without_engine_metadata(tmp_path: Path) -> None:
    cell = new_code_cell("plot()", execution_count=1)
    cell.outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "<Fig>"})]
    nb = new_notebook(cells=[new_markdown_cell("# 09 · Synthetic"), cell])
    nbformat.write(nb, tmp_path / "09-synthetic.ipynb")
    (page,) = build_site.build(tmp_path, tmp_path / "site")
    text = (tmp_path / "site" / "09-synthetic.html").read_text()
    assert page.title == "09 · Synthetic" and "engine not recorded" in text
    assert len(page.figures) == 1 and f'src="{page.figures[0]}"' in text
