"""tools/bench --where without an engine: the time a chapter's cells spent, split by what they
waited on, from the events tools/bench_tracer.py writes."""

from __future__ import annotations

import json
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path
from types import ModuleType

TOOLS = Path(__file__).resolve().parents[2] / "tools"


def bench() -> ModuleType:
    loader = SourceFileLoader("bench", str(TOOLS / "bench"))
    spec = spec_from_loader("bench", loader)
    assert spec is not None
    module = module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_overlapping_spans_count_once() -> None:
    union = bench().union
    assert union([]) == 0.0
    assert union([(0.0, 1.0), (0.5, 2.0), (3.0, 4.0)]) == 3.0  # parallel requests: wall time
    assert union([(0.0, 4.0), (1.0, 2.0)]) == 4.0


def test_a_cell_is_split_into_docker_other_commands_api_and_python(tmp_path: Path) -> None:
    events = [
        {"kind": "command", "start": 1.0, "end": 3.0, "what": "docker build -t a ."},
        {"kind": "command", "start": 3.0, "end": 3.5, "what": "/usr/bin/docker save a"},
        {"kind": "command", "start": 4.0, "end": 4.5, "what": "ip -j addr"},
        {"kind": "api", "start": 5.0, "end": 6.0, "what": "DELETE /containers/x"},
        {"kind": "api", "start": 5.5, "end": 6.5, "what": "DELETE /containers/y"},
        {"kind": "cell", "start": 0.0, "end": 8.0, "what": ""},
        {"kind": "command", "start": 9.0, "end": 9.5, "what": "docker ps"},  # between cells
    ]
    trace = tmp_path / "nb.jsonl"
    trace.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert bench().where(trace) == {"cells": 8.0, "docker CLI": 2.5, "other commands": 0.5,
                                    "Engine API": 1.5, "Python/waits": 3.5}
    assert bench().where(tmp_path / "missing.jsonl")["cells"] == 0.0
