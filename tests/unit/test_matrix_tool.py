"""tools/matrix (standard library only, run before the venv exists): what it reads off a log."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "matrix"
LOG = """\
tests/notebooks/test_notebooks.py::test_x[03-networking] FAILED
=================================== FAILURES ===================================
____________ test_x[03-networking] ____________
Cell 11: stdout differs
-  -A DOCKER-USER -j RETURN
=========================== short test summary info ============================
FAILED tests/notebooks/test_notebooks.py::test_x[03-networking] - nbval
======================== 1 failed, 9 passed in 30.00s =========================
"""


@pytest.fixture(scope="module")
def matrix() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("labkit_matrix_tool", str(TOOL))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


def test_the_failures_section_reaches_the_ci_log(matrix: ModuleType) -> None:
    details = matrix.failure_details(LOG)
    assert details.splitlines()[0].startswith("====") and "FAILURES" in details
    assert "-  -A DOCKER-USER -j RETURN" in details
    assert "short test summary" not in details and "FAILED tests/" not in details
    assert matrix.failure_details("1 passed\n") == ""


def test_a_long_section_is_cut_and_says_so(matrix: ModuleType) -> None:
    long_log = LOG.replace("Cell 11: stdout differs\n", "a diff line\n" * 500)
    lines = matrix.failure_details(long_log, most=10).splitlines()
    assert len(lines) == 11 and lines[-1].startswith("... (") and "machine's log" in lines[-1]


def test_failed_lines_and_the_summary_are_read(matrix: ModuleType) -> None:
    assert matrix.FAILURE_LINE.findall(LOG) == [
        "FAILED tests/notebooks/test_notebooks.py::test_x[03-networking] - nbval"]
    assert matrix.SUMMARY_LINE.findall(LOG) == ["1 failed, 9 passed"]
