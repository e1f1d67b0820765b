"""The readers' and the teacher's sites, built from notebooks/ (tools/build_site.py, ~20 s).

Each check runs over every site that was built: English always, Chinese when the translations
could be built (see conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from tests.unit.tool_modules import load

from .conftest import ROOT, Built
from .sitecheck import broken_links, page_text, parse, remote_loads

pytestmark = [pytest.mark.site,
              # sphinx-book-theme 1.4 and myst-parser on Sphinx 9: their own deprecations
              pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")]
KEYS = ("en", "en-answers", "zh", "zh-answers")
BEGIN, END = re.compile(r"^\s*### BEGIN SOLUTION\b"), re.compile(r"^\s*### END SOLUTION\b")
DETAILS = re.compile(r"<details\b[^>]*\bclass=\"[^\"]*\bhide\b[^\"]*\"[^>]*>.*?</details>",
                     re.DOTALL)


def _one(key: str, sites: dict[str, Built]) -> Built:
    if key not in sites:
        pytest.skip("no Chinese edition here (tools/translations.py build failed)")
    return sites[key]


@pytest.fixture(params=KEYS)
def built(request: pytest.FixtureRequest, sites: dict[str, Built]) -> Built:
    """Each of the sites (the Chinese ones skip when they could not be built)."""
    return _one(request.param, sites)


@pytest.fixture(params=("en", "zh"))
def readers(request: pytest.FixtureRequest, sites: dict[str, Built]) -> Built:
    """Each readers' site."""
    return _one(request.param, sites)


@pytest.fixture(params=("en-answers", "zh-answers"))
def teacher(request: pytest.FixtureRequest, sites: dict[str, Built]) -> Built:
    """Each teacher's site."""
    return _one(request.param, sites)


def _chapters(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]*-*.ipynb"))


def _solution_lines(notebooks: Path) -> set[str]:
    """Lines of the model solutions (between the markers) that appear nowhere else in the
    notebooks: those a leak would show. Placeholders and lines under 8 characters are left out."""
    inside_lines: set[str] = set()
    outside_text: list[str] = []
    for path in _chapters(notebooks):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if BEGIN.match(line):
                    inside = True
                elif END.match(line):
                    inside = False
                elif inside and "### placeholder" not in line:
                    inside_lines.add(line.strip())
                else:
                    outside_text.append(line)
            for output in cell.get("outputs", []):
                outside_text.append(str(output.get("text", "")))
                outside_text.append(str(output.get("data", {}).get("text/plain", "")))
    elsewhere = _squeeze("\n".join(outside_text))
    return {line for line in inside_lines if len(line) >= 8 and _squeeze(line) not in elsewhere}


def _squeeze(text: str) -> str:
    """Whitespace collapsed to one space (markdown may wrap a command the cell has on one line)."""
    return " ".join(text.split())


def test_every_chapter_has_a_page_listed_on_the_index(built: Built) -> None:
    chapters = [path.stem for path in _chapters(built.notebooks)]
    assert chapters, "no chapters in notebooks/"
    assert [page.html for page in built.pages] == [f"{name}.html" for name in chapters]
    index = parse(built.site / "index.html")
    hrefs = {value for tag, attribute, value in index.links if tag == "a"}
    for name in chapters:
        assert (built.site / f"{name}.html").is_file()
        assert f"{name}.html" in hrefs, f"index.html does not link {name}.html"


def test_no_link_to_a_missing_page_or_anchor(built: Built) -> None:
    assert broken_links(built.site) == []
    for page in built.site.glob("*.html"):
        ipynb = [value for _, _, value in parse(page).links if ".ipynb" in value]
        assert ipynb == [], f"{page.name} links notebooks, not pages: {ipynb}"
        raw = re.findall(r"\]\([^)\s]*\.ipynb[^)]*\)", page_text(page))
        assert raw == [], f"{page.name} shows markdown links as text: {raw[:3]}"


def test_nothing_is_loaded_from_another_host(built: Built) -> None:
    assert remote_loads(built.site) == []


def test_every_figure_is_the_stored_png_with_real_alt_text(built: Built) -> None:
    for page in built.pages:
        nb = nbformat.read(built.edition / page.html.replace(".html", ".ipynb"), as_version=4)
        stored = {hashlib.sha256(base64.b64decode(out["data"]["image/png"])).hexdigest()
                  for cell in nb.cells if cell.cell_type == "code"
                  for out in cell.outputs if "image/png" in out.get("data", {})}
        html = (built.site / page.html).read_text(encoding="utf-8")
        images = re.findall(r"<img ([^>]*)>", html)
        shown = {}
        for attributes in images:
            src = re.search(r'src="([^"]+)"', attributes)
            if src and "_images/" in src[1]:
                alt = re.search(r'alt="([^"]*)"', attributes)
                shown[src[1]] = alt[1] if alt else ""
        assert len(shown) == len(stored) == len(page.figures), page.html
        for src, alt in shown.items():
            data = (built.site / src).read_bytes()
            assert hashlib.sha256(data).hexdigest() in stored, f"{src}: not a stored figure"
            assert alt.strip() and "No description" not in alt, f"{page.html} {src}: alt {alt!r}"


def test_the_engine_line_is_on_every_page_once(built: Built) -> None:
    for page in built.pages:
        nb = nbformat.read(built.edition / page.html.replace(".html", ".ipynb"), as_version=4)
        labkit = nb.metadata.get("labkit", {})
        html = (built.site / page.html).read_text(encoding="utf-8")
        lines = re.findall(r'<p class="labkit-engine-line">(.*?)</p>', html, re.DOTALL)
        assert len(lines) == 1, f"{page.html}: {len(lines)} engine lines"
        text = page_text(built.site / page.html)
        if labkit.get("recorded_on"):
            facts = labkit["recorded_on"]
            assert f"Docker Engine {facts['version']}" in lines[0]
            assert facts["storage"] in lines[0]
            assert str(labkit["recording_run"])[:10] in lines[0]
            said = re.findall(rf"Docker Engine {re.escape(facts['version'])}\s*[(（]", text)
            assert len(said) == 1, f"{page.html}: the engine is named {len(said)} times"
        lead = "Outputs recorded on" if built.lang == "en" else "输出记录于"
        assert text.count(lead) == 1, f"{page.html}: {text.count(lead)} times {lead!r}"


def test_previous_and_next_at_the_bottom_of_every_chapter(built: Built) -> None:
    names = [page.html for page in built.pages]
    for number, name in enumerate(names):
        html = (built.site / name).read_text(encoding="utf-8")
        prev = re.search(r'class="left-prev"\s+href="([^"]+)"', html)
        nxt = re.search(r'class="right-next"\s+href="([^"]+)"', html)
        assert prev and prev[1] == (names[number - 1] if number else "index.html"), name
        if number + 1 < len(names):
            assert nxt and nxt[1] == names[number + 1], name


def test_the_readers_site_has_no_model_solution_and_no_passed_output(readers: Built) -> None:
    built = readers
    solutions = _solution_lines(built.notebooks)
    assert solutions, "no model solution found in the notebooks: the check would be empty"
    for page in built.site.glob("*.html"):
        text = _squeeze(page_text(page))
        leaked = sorted(line for line in solutions if _squeeze(line) in text)
        assert leaked == [], f"{page.name} shows model solutions: {leaked[:3]}"
        assert "[PASSED]" not in text, f"{page.name} shows an exercise's PASSED output"
    exercises = sum("exercise" in cell.metadata.get("tags", [])
                    for path in _chapters(built.edition)
                    for cell in nbformat.read(path, as_version=4).cells)
    assert exercises, "the student edition lost its exercise cells"


def test_the_teachers_site_folds_every_solution_behind_a_toggle(teacher: Built) -> None:
    built = teacher
    solutions = _solution_lines(built.notebooks)
    folded, visible = "", ""
    for page in built.pages:
        html = (built.site / page.html).read_text(encoding="utf-8")
        nb = nbformat.read(built.edition / page.html.replace(".html", ".ipynb"), as_version=4)
        tagged = sum("solution" in cell.metadata.get("tags", []) for cell in nb.cells)
        assert len(DETAILS.findall(html)) == tagged, page.html
        folded += "\n".join(DETAILS.findall(html))
        visible += DETAILS.sub("", html)
    assert solutions
    for line in solutions:
        escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        plain = re.sub(r"<[^>]+>", "", folded).replace("&quot;", '"').replace("&#39;", "'")
        assert line in plain or escaped in plain, f"solution line not folded: {line!r}"
    assert "[PASSED]" in re.sub(r"<[^>]+>", "", folded), "no PASSED output behind the toggles"


def test_search_copy_buttons_dark_mode_and_page_contents(built: Built) -> None:
    index = (built.site / "searchindex.js").read_text(encoding="utf-8")
    if built.lang == "en":
        assert "whiteout" in index
    elif importlib.util.find_spec("jieba") is not None:
        assert '"\\u955c\\u50cf":' in index, "the Chinese search does not know 镜像 (image)"
    assert (built.site / "search.html").is_file()
    html = (built.site / "02-overlayfs-and-image-storage.html").read_text(encoding="utf-8")
    assert "copybutton.js" in html
    assert 'data-mode="auto"' in html or "theme-switch" in html
    assert 'class="bd-toc-nav page-toc"' in html or "page-toc" in html
    assert not re.search(r"In&nbsp;\[|\bIn \[\d+\]:", page_text(
        built.site / "02-overlayfs-and-image-storage.html"))


def test_the_language_switch_points_at_the_same_page(built: Built) -> None:
    if built.switch is None:
        pytest.skip("built without a language switch")
    url, label = built.switch
    for page in [*built.pages, type(built.pages[0])("index.html", "", "", ())]:
        html = (built.site / page.html).read_text(encoding="utf-8")
        switch = re.search(r'<a class="[^"]*labkit-lang-switch"\s+href="([^"]+)"', html)
        assert switch and switch[1] == f"{url}{page.html}", page.html
        assert label in html
        assert (built.site / switch[1]).resolve().is_file()


def test_pandas_tables_lose_their_integer_index(built: Built) -> None:
    html = (built.site / "02-overlayfs-and-image-storage.html").read_text(encoding="utf-8")
    assert 'class="dataframe"' in html
    assert not re.search(r"<tbody>\s*<tr>\s*<th>0</th>", html)


def test_each_site_builds_within_a_minute(sites: dict[str, Built],
                                          capsys: pytest.CaptureFixture) -> None:
    with capsys.disabled():
        for key, built in sites.items():
            print(f"\n  site {key}: {len(built.pages)} chapters in {built.seconds:.1f} s")
    slow = {key: round(built.seconds) for key, built in sites.items() if built.seconds > 60}
    assert slow == {}, f"sites that took over a minute to build: {slow}"


def test_the_command_line_builds_a_site(tmp_path: Path, sites: dict[str, Built]) -> None:
    build_site = load("build_site")
    assert build_site.main(["--source", str(sites["en"].edition),
                            "--out", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    assert ROOT.joinpath("tools", "site", "conf.py").is_file()


def test_a_synthetic_course(tmp_path: Path) -> None:
    """Links with anchors, stored alt text, no engine metadata, an edition note: in isolation."""
    build_site = load("build_site")
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJ"
           "RU5ErkJggg==")
    figure = nbformat.v4.new_code_cell("plot()", execution_count=1)
    figure.outputs = [nbformat.v4.new_output(
        "display_data", data={"image/png": png, "text/plain": "<Figure>"},
        metadata={"image/png": {"alt": "One white pixel"}})]
    first = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("A note.", metadata={"tags": ["edition-note"]}),
        nbformat.v4.new_markdown_cell("# 08 · First\n\nSee [the section](09-second.ipynb#a-section)"
                                      " of [09](09-second.ipynb)."), figure])
    second = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 09 · Second\n\n## A section\n\n"
                                      "Back to [08](08-first.ipynb).")])
    nbformat.write(first, tmp_path / "08-first.ipynb")
    nbformat.write(second, tmp_path / "09-second.ipynb")
    pages = build_site.build(tmp_path, tmp_path / "site")
    assert [(page.html, page.title, page.engine) for page in pages] == [
        ("08-first.html", "08 · First", "engine not recorded"),
        ("09-second.html", "09 · Second", "engine not recorded")]
    assert broken_links(tmp_path / "site") == []
    html = (tmp_path / "site" / "08-first.html").read_text(encoding="utf-8")
    assert 'href="09-second.html#a-section"' in html
    assert 'alt="One white pixel"' in html and "A note." not in html
    assert page_text(tmp_path / "site" / "08-first.html").count("engine not recorded") == 1
    with pytest.raises(build_site.SiteError, match="no notebooks"):
        build_site.build(tmp_path / "empty", tmp_path / "site2")
