"""tools/matrix (standard library only, run before the venv exists): what it reads off a log."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
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


def test_the_six_machines_and_what_each_learner_runs(matrix: ModuleType) -> None:
    assert list(matrix.MACHINES) == ["debian12", "debian13", "testing", "testing-containerd",
                                     "docker29", "docker29-nftables"]
    d29, nft = matrix.MACHINES["docker29"], matrix.MACHINES["docker29-nftables"]
    assert (d29.learner, d29.daemon) == ("source", "")  # a fresh install: its defaults
    assert json.loads(nft.daemon) == {"firewall-backend": "nftables"}
    assert json.loads(matrix.MACHINES["testing-containerd"].daemon) == {
        "features": {"containerd-snapshotter": True}}
    assert "golang-1.26-go" in matrix.SOURCE_BUILD and "tini-static" in matrix.SOURCE_RUNTIME


def test_the_build_cache_is_keyed_by_the_archives_checked_against_their_sums(
        matrix: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in matrix.SOURCE_ARCHIVES.values():
        (tmp_path / name).write_bytes(name.encode())
    sums = "".join(f"{hashlib.sha256(n.encode()).hexdigest()}  {n}\n"
                   for n in matrix.SOURCE_ARCHIVES.values())
    (tmp_path / "SHA256SUMS").write_text(sums)
    monkeypatch.setattr(matrix, "ENGINES", tmp_path)
    key = matrix.source_key()
    assert len(key) == 16 and key == matrix.source_key()
    (tmp_path / matrix.SOURCE_ARCHIVES["cli"]).write_bytes(b"changed")
    with pytest.raises(SystemExit, match="does not match SHA256SUMS"):
        matrix.source_key()


def test_the_engine_line_gives_the_table_its_firewall(matrix: ModuleType, tmp_path: Path) -> None:
    log = tmp_path / "root" / "matrix.log"
    log.parent.mkdir()
    log.write_text("labkit engine: version=29.7.2 release=29.7 storage=containerd "
                   "builder=buildkit firewall=nftables cgroup=1 "
                   "daemon=firewall-backend=nftables\n" + LOG + "\nlabkit matrix: exit 1; "
                   "Python 3.13.9\n")
    res = matrix.read_result(matrix.MACHINES["docker29-nftables"], tmp_path, 1, 3.0)
    assert (res.engine, res.storage, res.firewall, res.python) == (
        "29.7.2", "containerd", "nftables", "3.13.9")
    assert "firewall" in matrix.table([res]).splitlines()[0]
