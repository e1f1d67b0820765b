"""IPython startup file for `tools/bench --where`: records where each cell's time goes.

tools/bench copies this file into a temporary IPYTHONDIR (profile_default/startup/), so it runs
only in the kernels of a measuring run, never in a learner's. It appends one JSON line per event
to the file named by BENCH_TRACE: each cell's start and end, and each command (subprocess) and
Engine API request (requests, which the Docker SDK uses) with its start and end times. Commands
started in the background and never waited for (a lesson's dockerd) are not recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

import requests

_out = open(os.environ["BENCH_TRACE"], "a", buffering=1)  # noqa: SIM115 - open for the kernel's life


def _write(kind: str, started: float, what: str = "") -> None:
    _out.write(json.dumps({"kind": kind, "start": started, "end": time.monotonic(),
                           "what": what}) + "\n")


_popen_init = subprocess.Popen.__init__
_popen_wait = subprocess.Popen.wait


def _init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
    self._bench = (time.monotonic(), args if isinstance(args, str) else
                   " ".join(str(a) for a in args))  # type: ignore[attr-defined]
    _popen_init(self, args, *rest, **kw)


def _wait(self: subprocess.Popen[Any], *rest: Any, **kw: Any) -> int:
    code = _popen_wait(self, *rest, **kw)
    started = getattr(self, "_bench", None)
    if started is not None:
        self._bench = None  # type: ignore[attr-defined]
        _write("command", started[0], started[1])
    return code


_request = requests.Session.request


def _timed_request(self: requests.Session, method: str, url: str, *rest: Any,
                   **kw: Any) -> requests.Response:
    started = time.monotonic()
    try:
        return _request(self, method, url, *rest, **kw)
    finally:
        _write("api", started, f"{method} {url}")


subprocess.Popen.__init__ = _init  # type: ignore[method-assign]
subprocess.Popen.wait = _wait  # type: ignore[method-assign]
requests.Session.request = _timed_request  # type: ignore[method-assign]

_cell: dict[str, float] = {}


def _pre_run_cell(info: Any) -> None:
    _cell["start"] = time.monotonic()


def _post_run_cell(result: Any) -> None:
    _write("cell", _cell.pop("start", time.monotonic()))


get_ipython().events.register("pre_run_cell", _pre_run_cell)  # type: ignore[name-defined]  # noqa: F821
get_ipython().events.register("post_run_cell", _post_run_cell)  # type: ignore[name-defined]  # noqa: F821
