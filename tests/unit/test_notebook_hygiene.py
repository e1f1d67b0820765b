"""Static checks of every chapter notebook: the shape CONTRIBUTING.md asks for."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*-*.ipynb"))
MARKER = re.compile(r"NBVAL_[A-Z_]+")
OUTSIDE = re.compile(r"(8\.8\.8\.8|1\.1\.1\.1|baidu|google\.com|www\.[a-z0-9-]+\.(com|cn|org|net))",
                     re.I)


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request: pytest.FixtureRequest) -> Path:
    return request.param


def chapter(path: Path) -> str:
    """A notebook's chapter: what comes before the first "-" (00 ... 04, and 02b)."""
    return path.name.split("-", 1)[0]


def test_there_is_a_notebook_per_chapter() -> None:
    assert [chapter(p) for p in NOTEBOOKS] == ["00", "01", "02", "02b", "03", "04"]


def test_starts_with_the_setup_cell_and_ends_with_cleanup(notebook: Path) -> None:
    cells = code_cells(notebook)
    assert re.match(rf'import labkit\nlab = labkit\.start\("{chapter(notebook)}"',
                    source(cells[0]))
    assert source(cells[-1]).strip() == "lab.cleanup()"


def test_stored_outputs_come_from_one_clean_run(notebook: Path) -> None:
    counts = [c["execution_count"] for c in code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1))


def test_every_notebook_was_recorded_in_the_same_run() -> None:
    """One clean run of every notebook (tools/execute_notebook.py notebooks/*.ipynb): then the
    course images every chapter shows are the same images, built once on that machine."""
    runs = {p.name: json.loads(p.read_text())["metadata"].get("labkit", {}).get("recording_run")
            for p in NOTEBOOKS}
    assert len(set(runs.values())) == 1 and None not in runs.values(), runs


def test_no_cell_is_left_out_on_any_engine(notebook: Path) -> None:
    """Every demonstration runs on every engine of the matrix: no cell is marked to run only
    on some engines (the old `# needs: NAME` marker)."""
    for cell in code_cells(notebook):
        assert not re.search(r"(?m)^\s*#\s*needs:", source(cell)), source(cell)


def test_nbval_markers_are_tags_out_of_the_learners_sight(notebook: Path) -> None:
    """nbval reads cell tags as well as comments; a learner in JupyterLab sees only the lesson."""
    for cell in code_cells(notebook):
        assert not MARKER.search(source(cell)), (
            f"put nbval's marker into the cell's tags (nbval-ignore-output), not its source:\n"
            f"{source(cell)}")


def test_ignored_outputs_are_few_say_why_and_assert_instead(notebook: Path) -> None:
    cells = code_cells(notebook)
    ignored = [c for c in cells if "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]
    assert len(ignored) <= 0.3 * len(cells)
    for cell in ignored:
        assert "assert" in source(cell), f"an ignored cell checks nothing:\n{source(cell)}"
        why = cell["metadata"].get("labkit", {}).get("why_output_ignored", "")
        assert why.strip(), f"say in metadata.labkit.why_output_ignored why:\n{source(cell)}"
    assert not any("nbval-skip" in c.get("metadata", {}).get("tags", []) for c in cells)


def test_no_cell_names_an_outside_host(notebook: Path) -> None:
    for cell in code_cells(notebook):
        assert not OUTSIDE.search(source(cell)), source(cell)


def test_no_stored_error_other_than_expected_ones(notebook: Path) -> None:
    for cell in code_cells(notebook):
        expected = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert expected or not errors, source(cell)
