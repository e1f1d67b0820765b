"""tools/editions.py: the student edition and the answer key, on small synthetic notebooks."""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from .tool_modules import load

ROOT = Path(__file__).resolve().parents[2]
editions = load("editions")

SECRET = "SECRET_ANSWER_42"
RECORDED = {"labkit": {"recorded_on": {"version": "20.10.24", "release": "20.10",
                                       "storage": "overlay2", "cgroup": "2"},
                       "recording_run": "2026-11-30T09:15:00Z"}}


def _run(source: str, text: str, count: int, *tags: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source, execution_count=count)
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _chapter(**metadata: object) -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell("# 07 · A chapter\n\nSome teaching."),
        _run("import labkit\nlab = labkit.start('07')", "Chapter 07 is ready\n", 1),
        new_markdown_cell("## Practice\n\n**07.1** Name the platforms."),
        _run("### BEGIN SOLUTION  (placeholder: answer = ...)\n"
             f"answer = ['{SECRET}']\n### END SOLUTION\ncheck(answer)",
             f"PASSED: {SECRET}\n", 2, "exercise", "solution"),
        _run("def helper():\n    ### BEGIN SOLUTION\n"
             f"    return '{SECRET}'\n    ### END SOLUTION\nhelper()", f"'{SECRET}'\n", 3,
             "exercise", "solution"),
        _run("### BEGIN SOLUTION\n### placeholder: first = ...\n### placeholder: second = ...\n"
             f"first, second = 1, '{SECRET}'\n### END SOLUTION", "", 4, "solution"),
        _run("print('checked')", f"PASSED, with {SECRET}\n", 5, "exercise"),
        new_markdown_cell("## Clean up"),
        _run("lab.cleanup()", "removed 3 objects\n", 6),
    ], metadata={**RECORDED, **metadata})


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path]:
    source = tmp_path / "notebooks"
    source.mkdir()
    nbformat.write(_chapter(), source / "07-chapter.ipynb")
    plain = new_notebook(cells=[
        new_markdown_cell("# 08 · No markers"),
        _run("x = 1\nx", "1\n", 1),
        new_markdown_cell("## Exercises"),
        _run("check(x)", "passed\n", 2, "exercise"),
    ])
    nbformat.write(plain, source / "08-plain.ipynb")
    # What a teacher's JupyterLab leaves beside the notebooks: never handed out.
    (source / ".ipynb_checkpoints").mkdir()
    nbformat.write(_chapter(), source / ".ipynb_checkpoints" / "07-chapter-checkpoint.ipynb")
    editions.build(source, tmp_path / "dist")
    return source, tmp_path / "dist"


def _cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


def _student(built: tuple[Path, Path], name: str = "07-chapter.ipynb") -> list:
    """The student edition's cells after its edition note (so indices match the source)."""
    cells = _cells(built[1] / "student" / name)
    assert cells[0].metadata.get("tags") == ["edition-note"]
    return cells[1:]


def test_markers_are_replaced_by_the_placeholder(built: tuple[Path, Path]) -> None:
    cells = _student(built)
    assert cells[3].source == "answer = ...\ncheck(answer)"
    assert cells[5].source == "first = ...\nsecond = ..."


def test_the_default_placeholder_keeps_the_indentation(built: tuple[Path, Path]) -> None:
    cells = _student(built)
    assert cells[4].source == "def helper():\n    ...  # your answer here\nhelper()"


def test_no_solution_text_is_left_in_the_student_edition(built: tuple[Path, Path]) -> None:
    text = (built[1] / "student" / "07-chapter.ipynb").read_text()
    assert SECRET not in text
    for cell in _cells(built[1] / "student" / "07-chapter.ipynb"):
        assert "SOLUTION" not in cell.source
        assert SECRET not in cell.source + json.dumps(cell.get("outputs", []))


def test_exercise_and_solution_cells_lose_their_outputs(built: tuple[Path, Path]) -> None:
    cells = _student(built)
    assert [c.outputs for c in cells[3:7]] == [[], [], [], []]
    assert all(c.execution_count is None for c in cells[3:7])
    assert cells[1].outputs and cells[8].outputs  # teaching and clean-up cells keep theirs


def test_the_cells_are_found_by_tag_not_by_heading(built: tuple[Path, Path]) -> None:
    # 07's exercises sit under "## Practice", 08's under "## Exercises": tags decide in both.
    plain = _student(built, "08-plain.ipynb")
    assert plain[1].outputs and plain[3].outputs == []
    assert _student(built)[6].outputs == []


def test_both_editions_keep_the_tags(built: tuple[Path, Path]) -> None:
    source = [c.metadata.get("tags") for c in _cells(built[0] / "07-chapter.ipynb")]
    assert [c.metadata.get("tags") for c in _student(built)] == source
    key = [c.metadata.get("tags") for c in _cells(built[1] / "answer-key" / "07-chapter.ipynb")]
    assert key == source and ["exercise", "solution"] in source


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


def test_build_empties_the_editions_first(built: tuple[Path, Path]) -> None:
    source, dist = built
    (source / "08-plain.ipynb").unlink()
    editions.build(source, dist)
    assert sorted(p.name for p in (dist / "student").iterdir()) == \
        ["07-chapter.ipynb", "README.md"]


# -- the edition note ------------------------------------------------------------------------

def test_the_edition_note_names_engine_and_date(built: tuple[Path, Path]) -> None:
    note = _cells(built[1] / "student" / "07-chapter.ipynb")[0]
    assert note.cell_type == "markdown" and note.id == "edition-note"
    assert ("recorded on Docker Engine 20.10.24 (release 20.10, storage overlay2, cgroup v2)"
            " on 2026-11-30.") in note.source
    assert "your own engine's output replaces the stored one" in note.source
    assert "exercise cells have no output on purpose" in note.source
    assert not re.search(r"[\u4e00-\u9fff]", note.source)


def test_the_edition_note_in_chinese(tmp_path: Path) -> None:
    nbformat.write(_chapter(language="zh"), tmp_path / "07-chapter.ipynb")
    editions.build(tmp_path, tmp_path / "dist")
    note = _cells(tmp_path / "dist" / "student" / "07-chapter.ipynb")[0].source
    assert note.startswith("**学生版**。本笔记本")
    assert ("Docker Engine 20.10.24（版本系列 20.10，存储 overlay2，控制组 v2），"
            "录制日期 2026-11-30。") in note
    assert "换成你自己引擎的输出" in note and "练习单元格特意没有输出" in note
    assert "recorded" not in note
    readme = (tmp_path / "dist" / "student" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Docker 内部原理练习册：学生版")
    assert "sudo ./course lab" in readme


def test_without_exercises_or_a_recording_the_note_says_so(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell("# 09"), _run("x = 1", "", 1)])
    note = editions.edition_note(nb)
    assert "does not say which engine" in note and "exercise" not in note
    nb.metadata.update(RECORDED)
    nb.metadata["labkit"].pop("recording_run")
    assert "recorded on Docker Engine 20.10.24 (release 20.10" in editions.edition_note(nb)
    assert " on 20" not in editions.edition_note(nb)  # no date invented
    nb.metadata["labkit"]["recorded_on"] = {"version": "29.7.2"}
    assert "recorded on Docker Engine 29.7.2." in editions.edition_note(nb)


def test_an_older_notebook_without_cell_ids_stays_valid(tmp_path: Path) -> None:
    nb = _chapter()
    nb.nbformat_minor = 4
    for cell in nb.cells:
        cell.pop("id")
    nbformat.write(nb, tmp_path / "07-old.ipynb")
    editions.build(tmp_path, tmp_path / "dist")
    student = nbformat.read(tmp_path / "dist" / "student" / "07-old.ipynb", as_version=4)
    nbformat.validate(student)
    assert "id" not in student.cells[0] and "Student edition" in student.cells[0].source


def test_a_source_with_a_note_gets_a_fresh_one_not_a_second(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell("# 09"), _run("x = 1", "1\n", 1, "exercise")],
                      metadata=RECORDED)
    nbformat.write(nb, tmp_path / "09-x.ipynb")
    editions.build(tmp_path, tmp_path / "once")
    editions.build(tmp_path / "once" / "student", tmp_path / "twice")
    cells = _cells(tmp_path / "twice" / "student" / "09-x.ipynb")
    assert [c.metadata.get("tags") for c in cells] == [["edition-note"], None, ["exercise"]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_note_and_readme_render_as_markdown(lang: str) -> None:
    # CommonMark closes `**` before a Chinese character only after a letter, not after "。".
    markdown_it = pytest.importorskip("markdown_it")
    nb = _chapter(language=lang)
    for text in (editions.edition_note(nb), "\n\n".join(editions.README[lang])):
        html = markdown_it.MarkdownIt().render(text)
        assert "<strong>" in html and "**" not in html


# -- what is handed out ----------------------------------------------------------------------

def test_the_student_folder_holds_only_the_notebooks_and_a_readme(
        built: tuple[Path, Path]) -> None:
    files = sorted(p.relative_to(built[1] / "student").as_posix()
                   for p in (built[1] / "student").rglob("*"))
    assert files == ["07-chapter.ipynb", "08-plain.ipynb", "README.md"]
    readme = (built[1] / "student" / "README.md").read_text()
    assert "sudo ./course lab" in readme and "dev container" in readme
    assert "answer key" not in readme.lower()


def test_the_zip_holds_exactly_the_folder(built: tuple[Path, Path]) -> None:
    dist = built[1]
    with zipfile.ZipFile(dist / "student.zip") as archive:
        assert archive.testzip() is None
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    folder = {f"student/{p.relative_to(dist / 'student').as_posix()}": p.read_bytes()
              for p in (dist / "student").rglob("*") if p.is_file()}
    assert entries == folder
    assert not any("checkpoint" in name or "/." in name for name in entries)


def test_the_zip_is_the_same_on_every_build(built: tuple[Path, Path]) -> None:
    source, dist = built
    first = (dist / "student.zip").read_bytes()
    editions.build(source, dist)
    assert (dist / "student.zip").read_bytes() == first


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, says", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a `### BEGIN SOLUTION`"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "second"),
])
def test_an_unmatched_marker_names_notebook_and_cell(
        tmp_path: Path, source: str, says: str) -> None:
    cell = new_code_cell(source, metadata={"tags": ["exercise", "solution"]})
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 09"), cell]),
                   tmp_path / "09-broken.ipynb")
    with pytest.raises(editions.EditionError, match=says) as error:
        editions.build(tmp_path, tmp_path / "dist")
    assert "09-broken.ipynb, cell 2" in str(error.value)
    assert not (tmp_path / "dist").exists()  # nothing half-written


def test_markers_without_the_solution_tag_are_an_error(tmp_path: Path) -> None:
    cell = new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                         metadata={"tags": ["exercise"]})
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 09"), cell]),
                   tmp_path / "09-untagged.ipynb")
    with pytest.raises(editions.EditionError,
                       match=r"09-untagged.ipynb, cell 2 has .* not the cell tag `solution`"):
        editions.build(tmp_path, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


@pytest.mark.parametrize("cell", [
    new_code_cell("answer = 42\ncheck(answer)", metadata={"tags": ["exercise", "solution"]}),
    new_markdown_cell("The answer is 42.", metadata={"tags": ["solution"]}),
])
def test_the_solution_tag_without_markers_is_an_error(
        tmp_path: Path, cell: nbformat.NotebookNode) -> None:
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 09"), cell]),
                   tmp_path / "09-unmarked.ipynb")
    with pytest.raises(editions.EditionError,
                       match=r"09-unmarked.ipynb, cell 2 has the cell tag `solution` but no"):
        editions.build(tmp_path, tmp_path / "dist")


def test_a_marker_outside_a_code_cell_is_an_error(tmp_path: Path) -> None:
    nb = new_notebook(cells=[new_markdown_cell("### BEGIN SOLUTION\nthe answer",
                                               metadata={"tags": ["solution"]})])
    nbformat.write(nb, tmp_path / "10-md.ipynb")
    with pytest.raises(editions.EditionError, match=r"10-md.ipynb, cell 1 \(markdown\)"):
        editions.build(tmp_path, tmp_path / "dist")


def test_the_command_reports_errors_plainly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nbformat.write(new_notebook(cells=[new_code_cell("### END SOLUTION")]),
                   tmp_path / "11-x.ipynb")
    assert editions.main(["--source", str(tmp_path), "--out", str(tmp_path / "d")]) == 1
    assert "11-x.ipynb, cell 1" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert editions.main(["--source", str(empty), "--out", str(tmp_path / "d")]) == 1
    assert "no chapter notebooks" in capsys.readouterr().err


# -- the course's own notebooks --------------------------------------------------------------

def _solution_lines(source: str) -> set[str]:
    """The lines of a cell's model solutions that neither its placeholders nor the rest of the
    cell also hold (`prediction = {` may open both the placeholder and the solution)."""
    inside, shared, within = set(), set(), False
    for line in source.split("\n"):
        begin, placeholder = editions.BEGIN.match(line), editions.PLACEHOLDER_LINE.match(line)
        if begin:
            within = True
            inline = editions.INLINE_PLACEHOLDER.search(begin["rest"])
            shared.add(inline["text"].strip() if inline else "")
        elif editions.END.match(line):
            within = False
        elif placeholder:
            shared.add(placeholder["text"].strip())
        else:
            (inside if within else shared).add(line.strip())
    return inside - shared - {""}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    out = tmp_path_factory.mktemp("course-editions")
    return out, editions.build(ROOT / "notebooks", out)


def test_the_course_notebooks_make_both_editions(course: tuple[Path, list]) -> None:
    out, report = course
    names = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
    assert [r.name for r in report] == names
    for folder in ("student", "answer-key"):
        for name in names:
            nbformat.validate(nbformat.read(out / folder / name, as_version=4))
    with zipfile.ZipFile(out / "student.zip") as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"student/{name}" for name in names] + ["student/README.md"])


def test_every_solution_cell_of_the_course_has_markers() -> None:
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb")):
        for number, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            tags = cell.metadata.get("tags", [])
            marked = "### BEGIN SOLUTION" in cell.source
            assert marked == ("solution" in tags), f"{path.name}, cell {number}"
            if "solution" in tags:
                assert cell.cell_type == "code" and "exercise" in tags, f"{path.name}, {number}"


def test_the_course_student_edition_gives_no_answer_away(course: tuple[Path, list]) -> None:
    out, report = course
    assert sum(r.solutions for r in report) > 0
    for edited in report:
        source = nbformat.read(ROOT / "notebooks" / edited.name, as_version=4).cells
        student = nbformat.read(out / "student" / edited.name, as_version=4).cells
        assert student[0].metadata["tags"] == ["edition-note"]
        assert len(student) == len(source) + 1
        for number, (was, cell) in enumerate(zip(source, student[1:], strict=True), start=1):
            where = f"{edited.name}, cell {number}"
            assert "### BEGIN SOLUTION" not in cell.source and "### END" not in cell.source
            lines = {line.strip() for line in cell.source.split("\n")}
            assert not _solution_lines(was.source) & lines, where
            outputs = json.dumps(cell.get("outputs", []))
            assert "PASSED" not in outputs, where
            if {"exercise", "solution"} & set(cell.metadata.get("tags", [])):
                assert cell.outputs == [] and cell.execution_count is None, where


def test_the_course_command_lists_editions_and_site() -> None:
    usage = subprocess.run(["bash", str(ROOT / "course")], capture_output=True, text=True)
    assert usage.returncode == 2
    lines = usage.stdout.splitlines()
    assert any(line.startswith("  ./course editions") for line in lines)
    assert any(line.startswith("  ./course site") for line in lines)
    assert not any("set -euo" in line for line in lines)
