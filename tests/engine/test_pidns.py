"""labkit.namespaces.pidns against the real engine: PID 1 inside, a host PID outside, signals."""

from __future__ import annotations

import pytest

from labkit.lab.session import Lab
from labkit.namespaces import pidns
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_pid_1_is_an_ordinary_host_process(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-pid1")
    view = pidns.pid_view(box)
    assert view.inner_pid == 1 and view.host_pid == namespaces.container_pid(box) > 1
    assert view.ns_pids == (view.host_pid, 1)
    assert view.parent.startswith("containerd-shim")
    code, out = box.exec_run(["ps"])
    pids = [line.split()[0] for line in out.decode().splitlines()[1:]]
    assert pids[0] == "1" and str(view.host_pid) not in pids


def test_term_is_ignored_by_pid_1_but_kill_stops_it(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-kill")
    pidns.kill_from_host(box, "TERM", wait=1)
    assert pidns.container_state(box) == "running"
    pidns.kill_from_host(box, "KILL")
    assert pidns.container_state(box) == "exited (exit code 137)"
    out = capsys.readouterr().out
    assert "running after 1 s" in out and out.rstrip().endswith("exited (exit code 137)")
