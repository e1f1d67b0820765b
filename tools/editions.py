"""Build the student edition and the answer key from the notebooks (`./course editions`).

Inside a code cell, the lines between `### BEGIN SOLUTION` and `### END SOLUTION` are a model
solution:

    ### BEGIN SOLUTION  (placeholder: answer = ...)
    answer = ["linux/amd64", "linux/arm64"]
    ### END SOLUTION

The student edition replaces the block by its placeholder (indented like the BEGIN line), by the
lines `### placeholder: TEXT` that follow the BEGIN line when one line is not enough, or by
`...  # your answer here`; such a cell loses its outputs, and so does every code cell of the
notebook's "Exercises" section (a stored "passed" would give the answer away). The answer key
is the notebook with the marker lines removed and every output kept. A notebook without markers
is copied as it is into the answer key, and with its exercise outputs cleared into the student
edition. See CONTRIBUTING.md, "Editions".
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION\b(?P<rest>.*)$")
END = re.compile(r"^\s*### END SOLUTION\b")
PLACEHOLDER_LINE = re.compile(r"^\s*### placeholder:\s?(?P<text>.*)$")
INLINE_PLACEHOLDER = re.compile(r"\(placeholder:\s*(?P<text>.*)\)\s*$")
ANY_MARKER = re.compile(r"### (BEGIN|END) SOLUTION\b")
DEFAULT_PLACEHOLDER = "...  # your answer here"
EXERCISES_HEADING = re.compile(r"^##\s+Exercises\b", re.MULTILINE)
SECTION_HEADING = re.compile(r"^##\s", re.MULTILINE)
# Files the notebooks need beside them, relative to notebooks/. Nothing today: the notebooks
# import labkit (installed in the environment) and write only into the lab's own folders.
SUPPORT_FILES: tuple[str, ...] = ()


class EditionError(Exception):
    """A notebook's solution markers cannot be processed; the message names notebook and cell."""


@dataclass(frozen=True)
class Edited:
    """One notebook in both editions: its solution blocks and its code cells under Exercises."""

    name: str
    solutions: int
    exercise_cells: int = 0


def split_solution(source: str, where: str) -> tuple[str, str, int]:
    """Split one code cell's source into its student and answer-key versions.

    Args:
        source: the cell's source.
        where: "NOTEBOOK, cell N", used in error messages.
    Returns:
        (student source, answer-key source, number of solution blocks).
    Raises:
        EditionError: a BEGIN without END, an END without BEGIN, or a nested BEGIN.
    """
    student: list[str] = []
    answer: list[str] = []
    blocks = 0
    inside = False
    placeholder: list[str] = []
    indent = ""
    taking_placeholder = False
    for number, line in enumerate(source.split("\n"), start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if inside:
                raise EditionError(f"{where}: line {number} opens a second `### BEGIN SOLUTION`"
                                   " before the first is closed; add `### END SOLUTION`.")
            inside, taking_placeholder, blocks = True, True, blocks + 1
            indent = begin["indent"]
            inline = INLINE_PLACEHOLDER.search(begin["rest"])
            placeholder = [inline["text"]] if inline else []
            continue
        if end:
            if not inside:
                raise EditionError(f"{where}: line {number} has `### END SOLUTION` without a"
                                   " `### BEGIN SOLUTION` above it.")
            student += [indent + text for text in (placeholder or [DEFAULT_PLACEHOLDER])]
            inside = False
            continue
        if inside and taking_placeholder and (extra := PLACEHOLDER_LINE.match(line)):
            placeholder.append(extra["text"])
            continue
        taking_placeholder = False
        answer.append(line)
        if not inside:
            student.append(line)
    if inside:
        raise EditionError(f"{where}: `### BEGIN SOLUTION` is never closed; add"
                           " `### END SOLUTION` after the model solution.")
    return "\n".join(student), "\n".join(answer), blocks


def _exercise_cells(nb: nbformat.NotebookNode) -> set[int]:
    """Indices of the code cells under the notebook's `## Exercises` heading (to the next ##)."""
    found: set[int] = set()
    inside = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for heading in SECTION_HEADING.finditer(cell.source):
                line = cell.source[heading.start():].split("\n", 1)[0]
                inside = bool(EXERCISES_HEADING.match(line))
        elif cell.cell_type == "code" and inside:
            found.add(index)
    return found


def _clear(cell: nbformat.NotebookNode) -> None:
    cell.outputs = []
    cell.execution_count = None


def make_editions(path: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode, int, int]:
    """Read one notebook: (student edition, answer key, solution blocks, exercise code cells).

    Raises:
        EditionError: a marker is unmatched, or sits outside a code cell.
    """
    student = nbformat.read(path, as_version=4)
    answer = nbformat.read(path, as_version=4)
    exercises = _exercise_cells(student)
    blocks = 0
    for index, (s_cell, a_cell) in enumerate(zip(student.cells, answer.cells, strict=True)):
        where = f"{path.name}, cell {index + 1}"
        if s_cell.cell_type != "code":
            if ANY_MARKER.search(s_cell.source):
                raise EditionError(f"{where} ({s_cell.cell_type}): solution markers work only in"
                                   " code cells; move the solution into a code cell.")
            continue
        s_cell.source, a_cell.source, found = split_solution(s_cell.source, where)
        blocks += found
        if found or index in exercises:
            _clear(s_cell)
    return student, answer, blocks, len(exercises)


def build(source: Path, out: Path) -> list[Edited]:
    """Write `out/student/` and `out/answer-key/` from the notebooks in `source`.

    Both folders are emptied first, so a removed chapter does not linger.
    Returns:
        one `Edited` per notebook, in name order.
    Raises:
        EditionError: a notebook's markers cannot be processed (nothing is half-written then:
            every notebook is processed before the folders are touched).
    """
    notebooks = sorted(source.glob("[0-9][0-9]*-*.ipynb"))
    made = [(nb, *make_editions(nb)) for nb in notebooks]
    student_dir, key_dir = out / "student", out / "answer-key"
    for folder in (student_dir, key_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name in SUPPORT_FILES:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if (source / name).is_dir():
                shutil.copytree(source / name, target)
            else:
                shutil.copy2(source / name, target)
    report = []
    for path, student, answer, blocks, exercise_cells in made:
        nbformat.write(student, student_dir / path.name)
        if blocks:
            nbformat.write(answer, key_dir / path.name)
        else:
            shutil.copy2(path, key_dir / path.name)
        report.append(Edited(path.name, blocks, exercise_cells))
    return report


def main(argv: list[str] | None = None) -> int:
    """`./course editions`: build both editions; exit 1 with the message on a marker error."""
    parser = argparse.ArgumentParser(prog="course editions", description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    try:
        report = build(args.source, args.out)
    except EditionError as error:
        print(f"editions: {error}", file=sys.stderr)
        return 1
    for edited in report:
        note = ""
        if edited.exercise_cells and not edited.solutions:
            note = " (exercises without markers: the student edition shows the model solutions)"
        print(f"  {edited.name}: {edited.solutions} solution block(s){note}")
    print(f"editions: {args.out / 'student'} and {args.out / 'answer-key'}"
          f" ({len(report)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
