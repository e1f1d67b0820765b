"""labkit.namespaces.pidns against the real engine: PID 1 inside, a host PID outside, signals."""

from __future__ import annotations

import re

import pytest

from labkit.lab.session import Lab
from labkit.namespaces import pidns
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_pid_1_is_an_ordinary_host_process(lab: Lab,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-pid1")
    capsys.readouterr()
    view = pidns.pid_view(box, show=True)
    out = capsys.readouterr().out
    assert f"$ grep -E '^(Name|PPid|NSpid):' /proc/{view.host_pid}/status\n" in out
    assert f"\nNSpid:\t{view.host_pid}\t1\n" in out
    assert f"\n$ cat /proc/{view.parent_pid}/comm\ncontainerd-shim" in out
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


def test_docker_stop_waits_for_a_pid_1_without_a_handler_only(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.namespaces import pid1

    plain = lab.run("labkit/busybox", ["sleep", "300"], name="t-stop-plain")
    shell = lab.run("labkit/busybox", ["sh", "-c", "sleep 300; echo done"], name="t-stop-shell")
    init = lab.run("labkit/busybox", ["sleep", "300"], name="t-stop-init", flags=["--init"])
    trap = lab.run("labkit/busybox", ["sh", "-c", 'trap "exit 0" TERM; sleep 300 & wait'],
                   name="t-stop-trap")
    capsys.readouterr()
    table = pid1.stop_all([plain, shell, init, trap], timeout=3)
    names = [c.name for c in (plain, shell, init, trap)]
    assert capsys.readouterr().out.splitlines() == [f"$ docker stop -t 3 {' '.join(names)}",
                                                    *names]
    assert list(table["PID 1"]) == ["sleep", "sh", "docker-init", "sh"]
    assert list(table["exit code"]) == [137, 137, 143, 0]
    assert list(table["ended after"]) == ["about 3 s", "about 3 s", "under 2 s", "under 2 s"]


def test_an_orphan_is_a_zombie_without_init_and_reaped_with_it(
        lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    from labkit.namespaces import pid1

    bare = lab.run("labkit/busybox", pid1.ORPHAN, name="t-orphan-bare")
    init = lab.run("labkit/busybox", pid1.ORPHAN, name="t-orphan-init", flags=["--init"])
    pid1.settle_orphans([bare, init])
    bare_procs = pid1.procs(bare)
    assert [(p.program, p.state[0]) for p in bare_procs] == [("sleep", "S"), ("sleep", "Z")]
    assert bare_procs[0].pid == 1 and bare_procs[1].ppid == 1
    capsys.readouterr()
    table = pid1.ps(bare, show=True)
    out = capsys.readouterr().out
    host_pid = bare_procs[0].host_pid
    assert out.startswith(f"$ ps -o pid,ppid,stat,comm -p {host_pid} --ppid {host_pid}\n")
    # ps marks the zombie Z in STAT (newer procps also writes <defunct> after its name)
    assert re.search(r"(?m)^ *\d+ +\d+ +Z", out) and list(table["state"].str[0]) == ["S", "Z"]
    init_procs = pid1.procs(init)
    assert [p.program for p in init_procs] == ["docker-init", "sleep"]
    assert all(not p.state.startswith("Z") for p in init_procs)
