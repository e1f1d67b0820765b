"""tools/build_site.py's pure parts: the engine line, tables, alt text, staging, the CLI's errors.

The sites themselves are built and checked by tests/site (Sphinx, ~1 min).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .tool_modules import load

build_site = load("build_site")
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
       "rkJggg==")
FACTS = {"version": "28.5.1", "release": "28.5", "storage": "containerd", "builder": "buildkit",
         "firewall": "nftables", "cgroup": "2"}


def _table(index: list[str], corner: str = "<th></th>") -> str:
    rows = "".join(f"<tr>\n      <th>{i}</th>\n      <td>v{i}</td>\n    </tr>" for i in index)
    return (f'<table border="1" class="dataframe">\n  <thead>\n    <tr style="text-align: right;">'
            f"\n      {corner}\n      <th>field</th>\n    </tr>\n  </thead>\n  <tbody>\n    {rows}"
            "\n  </tbody>\n</table>")


def test_engine_line_with_the_recording_date() -> None:
    recorded = new_notebook(metadata={"labkit": {"recorded_on": FACTS,
                                                 "recording_run": "2026-12-05T14:10:23Z"}})
    assert build_site.engine_line(recorded) == (
        "Outputs recorded on Docker Engine 28.5.1 (release 28.5, storage containerd,"
        " builder buildkit, firewall nftables, cgroup v2) on 2026-12-05")
    assert "记录于 2026-12-05" in build_site.engine_line(recorded, "zh")
    undated = new_notebook(metadata={"labkit": {"recorded_on": FACTS}})
    assert build_site.engine_line(undated).endswith("cgroup v2)")
    assert build_site.engine_line(new_notebook()) == "engine not recorded"


@pytest.mark.parametrize("index", [["0", "1", "2"], ["0", "3", "7"]])
def test_an_unnamed_integer_index_is_dropped(index: list[str]) -> None:
    html = build_site.drop_range_index(_table(index))
    assert "<th></th>" not in html and "<th>field</th>" in html
    assert all(f"<th>{i}</th>" not in html for i in index)
    assert all(f"<td>v{i}</td>" in html for i in index)


@pytest.mark.parametrize("html", [
    _table(["big.log", "conf"]),                 # a text index says something: kept
    _table(["0", "1"], corner="<th>layer</th>"),  # a named index: kept
    _table(["0", "1"]) + _table(["0", "1"]),     # two tables: left alone
    "<pre>0 1 2</pre>",
])
def test_any_other_table_is_left_as_it_is(html: str) -> None:
    assert build_site.drop_range_index(html) == html


def test_alt_text_from_the_output_else_from_the_drawing_line() -> None:
    cell = new_code_cell("# the stack\nstackplot.overlay_stack(demo)")
    stored = new_output("display_data", data={"image/png": PNG},
                        metadata={"image/png": {"alt": "Three layers of an overlay mount"}})
    bare = new_output("display_data", data={"image/png": PNG})
    assert build_site.figure_alt(cell, stored, "en") == "Three layers of an overlay mount"
    assert build_site.figure_alt(cell, bare, "en") == (
        "Figure drawn by stackplot.overlay_stack(demo)")
    titled = new_code_cell('stackplot.layer_stack(layers, title=f"{name}: image layers")')
    assert build_site.figure_alt(titled, bare, "en") == "{name}: image layers"


def test_staging_folds_solutions_only_on_the_teachers_site() -> None:
    def notebook() -> object:
        solution = new_code_cell("answer = 42", metadata={"tags": ["solution"]})
        figure = new_code_cell("plot()")
        figure.outputs = [new_output("display_data", data={"image/png": PNG})]
        note = new_markdown_cell("**Student edition.** Outputs from ...",
                                 metadata={"tags": ["edition-note"]})
        return new_notebook(cells=[note, new_markdown_cell("# 09 · Synthetic\nIntro *here*."),
                                   solution, figure])
    readers = build_site.stage(notebook(), answers=False, lang="en")
    teacher = build_site.stage(notebook(), answers=True, lang="en")
    assert len(readers.cells) == 3, "the edition's note is left out of the page"
    assert "hide-cell" not in readers.cells[1].metadata.get("tags", [])
    assert "hide-cell" in teacher.cells[1].metadata["tags"]
    assert teacher.cells[1].metadata["mystnb"]["code_prompt_show"] == "Show the model solution"
    assert readers.cells[2].metadata["mystnb"]["image"]["alt"] == "Figure drawn by plot()"
    title = readers.cells[0].source
    assert title.startswith("# 09 · Synthetic\n\n<p class=\"labkit-engine-line\">")
    assert title.count("engine not recorded") == 1
    assert title.endswith("</p>\n\nIntro *here*."), "a blank line must end the HTML block"


def test_no_notebooks_is_one_line_and_exit_1(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert build_site.main(["--source", str(tmp_path), "--out", str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no notebooks in" in err and "Traceback" not in err
    assert not (tmp_path / "site").exists()


def test_the_site_never_replaces_its_source(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "00-x.ipynb").write_text("{}")
    assert build_site.main(["--source", str(tmp_path), "--out", str(tmp_path)]) == 1
    assert "would delete the edition" in capsys.readouterr().err
    assert (tmp_path / "00-x.ipynb").is_file()


def test_switch_needs_its_label(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_site.main(["--switch", "zh/"]) == 2
    assert "--switch-label" in capsys.readouterr().err
