"""tools/editions.py: the student edition and the answer key, on small synthetic notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .tool_modules import load

ROOT = Path(__file__).resolve().parents[2]
editions = load("editions")

SECRET = "SECRET_ANSWER_42"


def _run(source: str, text: str, count: int) -> nbformat.NotebookNode:
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    return cell


def _chapter() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# 07 · A chapter\n\nSome teaching."),
        _run("import labkit\nlab = labkit.start('07')", "Chapter 07 is ready\n", 1),
        new_markdown_cell("## Exercises\n\n**07.1** Name the platforms."),
        _run("### BEGIN SOLUTION  (placeholder: answer = ...)\n"
             f"answer = ['{SECRET}']\n### END SOLUTION\ncheck(answer)",
             f"passed: {SECRET}\n", 2),
        _run("def helper():\n    ### BEGIN SOLUTION\n"
             f"    return '{SECRET}'\n    ### END SOLUTION\nhelper()", f"'{SECRET}'\n", 3),
        _run("### BEGIN SOLUTION\n### placeholder: first = ...\n### placeholder: second = ...\n"
             f"first, second = 1, '{SECRET}'\n### END SOLUTION", "", 4),
        _run("print('checked')", f"passed, with {SECRET}\n", 5),
        new_markdown_cell("## Clean up"),
        _run("lab.cleanup()", "removed 3 objects\n", 6),
    ], metadata={"labkit": {"recorded_on": {"version": "20.10.24"}}})


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(_chapter(), source / "07-chapter.ipynb")
    plain = new_notebook(cells=[
        new_markdown_cell("# 08 · No markers"),
        _run("x = 1\nx", "1\n", 1),
        new_markdown_cell("## Exercises"),
        _run("check(x)", "passed\n", 2),
    ])
    nbformat.write(plain, source / "08-plain.ipynb")
    editions.build(source, tmp_path / "dist")
    return source, tmp_path / "dist"


def _cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


def test_markers_are_replaced_by_the_placeholder(built: tuple[Path, Path]) -> None:
    cells = _cells(built[1] / "student" / "07-chapter.ipynb")
    assert cells[3].source == "answer = ...\ncheck(answer)"
    assert cells[5].source == "first = ...\nsecond = ..."


def test_the_default_placeholder_keeps_the_indentation(built: tuple[Path, Path]) -> None:
    cells = _cells(built[1] / "student" / "07-chapter.ipynb")
    assert cells[4].source == "def helper():\n    ...  # your answer here\nhelper()"


def test_no_solution_text_is_left_in_the_student_edition(built: tuple[Path, Path]) -> None:
    text = (built[1] / "student" / "07-chapter.ipynb").read_text()
    assert SECRET not in text
    for cell in _cells(built[1] / "student" / "07-chapter.ipynb"):
        assert "SOLUTION" not in cell.source
        assert SECRET not in cell.source + json.dumps(cell.get("outputs", []))


def test_solution_and_exercise_cells_lose_their_outputs(built: tuple[Path, Path]) -> None:
    cells = _cells(built[1] / "student" / "07-chapter.ipynb")
    assert [c.outputs for c in cells[3:7]] == [[], [], [], []]
    assert all(c.execution_count is None for c in cells[3:7])
    assert cells[1].outputs and cells[8].outputs  # teaching and clean-up cells keep theirs


def test_the_answer_key_is_the_source_minus_the_marker_lines(built: tuple[Path, Path]) -> None:
    source = nbformat.read(built[0] / "07-chapter.ipynb", as_version=4)
    key = nbformat.read(built[1] / "answer-key" / "07-chapter.ipynb", as_version=4)
    for cell in source.cells:
        cell.source = "\n".join(line for line in cell.source.split("\n")
                                if "### BEGIN SOLUTION" not in line
                                and "### END SOLUTION" not in line
                                and "### placeholder:" not in line)
    assert key == source
    assert SECRET in key.cells[3].source and SECRET in key.cells[3].outputs[0].text


def test_a_notebook_without_markers(built: tuple[Path, Path]) -> None:
    source, dist = built
    assert (dist / "answer-key" / "08-plain.ipynb").read_bytes() == \
        (source / "08-plain.ipynb").read_bytes()
    cells = _cells(dist / "student" / "08-plain.ipynb")
    assert cells[1].outputs and cells[3].outputs == []


def test_build_empties_the_editions_first(built: tuple[Path, Path]) -> None:
    source, dist = built
    (source / "08-plain.ipynb").unlink()
    editions.build(source, dist)
    assert sorted(p.name for p in (dist / "student").iterdir()) == ["07-chapter.ipynb"]


@pytest.mark.parametrize("source, says", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a `### BEGIN SOLUTION`"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "second"),
])
def test_an_unmatched_marker_names_notebook_and_cell(
        tmp_path: Path, source: str, says: str) -> None:
    nb = new_notebook(cells=[new_markdown_cell("# 09"), new_code_cell(source)])
    nbformat.write(nb, tmp_path / "09-broken.ipynb")
    with pytest.raises(editions.EditionError, match=says) as error:
        editions.build(tmp_path, tmp_path / "dist")
    assert "09-broken.ipynb, cell 2" in str(error.value)
    assert not (tmp_path / "dist").exists()  # nothing half-written


def test_a_marker_outside_a_code_cell_is_an_error(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell("### BEGIN SOLUTION\nthe answer")])
    nbformat.write(nb, tmp_path / "10-md.ipynb")
    with pytest.raises(editions.EditionError, match=r"10-md.ipynb, cell 1 \(markdown\)"):
        editions.build(tmp_path, tmp_path / "dist")


def test_the_command_reports_errors_plainly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nbformat.write(new_notebook(cells=[new_code_cell("### END SOLUTION")]),
                   tmp_path / "11-x.ipynb")
    assert editions.main(["--source", str(tmp_path), "--out", str(tmp_path / "d")]) == 1
    assert "11-x.ipynb, cell 1" in capsys.readouterr().err


def test_the_course_notebooks_make_both_editions(tmp_path: Path) -> None:
    report = editions.build(ROOT / "notebooks", tmp_path)
    names = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
    assert [r.name for r in report] == names
    for name in names:
        assert (tmp_path / "student" / name).exists() and (tmp_path / "answer-key" / name).exists()
    for folder in ("student", "answer-key"):
        for name in names:
            nbformat.validate(nbformat.read(tmp_path / folder / name, as_version=4))


def test_the_course_command_lists_editions_and_site() -> None:
    import subprocess

    usage = subprocess.run(["bash", str(ROOT / "course")], capture_output=True, text=True)
    assert usage.returncode == 2
    lines = usage.stdout.splitlines()
    assert any(line.startswith("  ./course editions") for line in lines)
    assert any(line.startswith("  ./course site") for line in lines)
    assert not any("set -euo" in line for line in lines)
