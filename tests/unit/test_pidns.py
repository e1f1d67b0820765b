"""labkit.namespaces.pidns without an engine: /proc/PID/status, both views, host signals."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from labkit.base.errors import CommandFailed, LabkitError, NotRoot
from labkit.namespaces import pid1, pidns

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.seam import Fakes

STATUS = "Name:\tsleep\nState:\tS (sleeping)\nPid:\t4242\nPPid:\t4200\nNSpid:\t4242\t1\n"


def test_pid_view_from_the_host_and_from_inside(fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost(files={"/proc/4242/status": STATUS,
                               "/proc/4200/comm": "containerd-shim\n"}))
    view = pidns.pid_view(FakeContainer("c2", pid=4242, lesson=True))
    assert (view.host_pid, view.inner_pid, view.parent, view.parent_pid) == (
        4242, 1, "containerd-shim", 4200)
    frame = view.to_frame()
    assert list(frame["number"]) == ["PID 1", "host PID 4242"]
    assert frame.loc["on the host", "parent"] == "containerd-shim"


def test_pid_view_can_show_the_commands_it_reads_with(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    grep = ("grep", "-E", "^(Name|PPid|NSpid):", "/proc/4242/status")
    host = fakes(host=FakeHost({grep: "Name:\tsleep\nPPid:\t4200\nNSpid:\t4242\t1\n",
                                ("cat", "/proc/4200/comm"): "containerd-shim\n"},
                               strict=True)).host
    view = pidns.pid_view(FakeContainer("c2", pid=4242), show=True)
    assert (view.name, view.ns_pids, view.parent, view.parent_pid) == (
        "sleep", (4242, 1), "containerd-shim", 4200)
    assert host.calls == [grep, ("cat", "/proc/4200/comm")]
    assert capsys.readouterr().out.splitlines() == [
        "$ grep -E '^(Name|PPid|NSpid):' /proc/4242/status", "Name:\tsleep", "PPid:\t4200",
        "NSpid:\t4242\t1", "$ cat /proc/4200/comm", "containerd-shim"]


class StoppingContainer(FakeContainer):
    """Running until `stop_after` reloads, then exited with 137."""

    def __init__(self, stop_after: int | None) -> None:
        super().__init__("c2", pid=4242, lesson=True)
        self.stop_after, self.reloads = stop_after, 0

    def reload(self) -> None:
        self.reloads += 1
        if self.stop_after is not None and self.reloads > self.stop_after:
            self.attrs["State"].update(Running=False, Status="exited", ExitCode=137)


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    return fakes(host=FakeHost(), root=True, clock=FakeClock()).host


def test_kill_shows_the_command_and_the_state_after(
        fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    pidns.kill_from_host(StoppingContainer(stop_after=2), "kill")
    assert fake.calls == [("kill", "-KILL", "4242")]
    assert capsys.readouterr().out.splitlines() == [
        "$ kill -KILL 4242", "c2: exited (exit code 137)"]


def test_kill_says_when_the_container_kept_running(
        fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    pidns.kill_from_host(StoppingContainer(stop_after=None), "SIGTERM", wait=0)
    assert capsys.readouterr().out.splitlines()[-1] == "c2: running after 0 s"


def test_kill_refuses_what_is_not_a_signal(fake: FakeHost) -> None:
    with pytest.raises(LabkitError, match="not a signal name"):
        pidns.kill_from_host(FakeContainer("c2", lesson=True), "NOPE")
    with pytest.raises(LabkitError, match="not running"):
        pidns.kill_from_host(FakeContainer("c2", running=False, lesson=True), "TERM")
    with pytest.raises(LabkitError, match="not started by a lesson") as info:
        pidns.kill_from_host(FakeContainer("someones"), "KILL")
    assert "lab.run" in info.value.hint
    assert fake.calls == []


def test_kill_needs_root(fakes: Callable[..., Fakes]) -> None:
    host = fakes(host=FakeHost(), root=False).host
    with pytest.raises(NotRoot):
        pidns.kill_from_host(FakeContainer("c2", lesson=True), "KILL")
    assert host.calls == []


# -- pid1: docker stop timed, and a container's processes as it numbers them ------------------
def status(name: str, state: str, ppid: int, *nspid: int) -> str:
    return (f"Name:\t{name}\nState:\t{state}\nPPid:\t{ppid}\n"
            f"NSpid:\t{chr(9).join(str(n) for n in nspid)}\n")


@pytest.mark.parametrize("seconds,text", [(0.0, "under 2 s"), (1.6, "under 2 s"),
                                          (10.4, "about 10 s"), (10.9, "about 10 s"),
                                          (2.3, "about 2 s")])
def test_took_rounds_for_a_learner(seconds: float, text: str) -> None:
    assert pid1.took(seconds) == text


def test_stop_all_runs_one_docker_stop_and_times_each_container(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    boxes = {"plain": FakeContainer("plain", pid=11), "with-init": FakeContainer("with-init",
                                                                                pid=12)}
    codes = {"plain": 137, "with-init": 143}
    after = {"plain": 3.4, "with-init": 0.3}
    cli = CliEngine(FakeClient(containers=list(boxes.values())))

    def stop(argv: list[str]) -> tuple[int, str, str]:
        now = time.time()
        for name in argv[4:]:
            ended = datetime.fromtimestamp(now + after[name], UTC)
            # as the engine writes it: nanoseconds, Z
            stamp = ended.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
            boxes[name].attrs["State"].update(Running=False, Status="exited",
                                              ExitCode=codes[name], Pid=0, FinishedAt=stamp)
        return 0, "".join(f"{n}\n" for n in argv[4:]), ""

    cli.answers[("docker", "stop")] = stop
    fakes(host=FakeHost(files={"/proc/11/comm": "sleep\n", "/proc/12/comm": "docker-init\n"}),
          client=cli.client, system=cli.system())
    table = pid1.stop_all(list(boxes.values()))
    assert [argv for argv, _ in cli.calls] == [["docker", "stop", "-t", "3", "plain",
                                                "with-init"]]
    assert capsys.readouterr().out.splitlines() == ["$ docker stop -t 3 plain with-init",
                                                    "plain", "with-init"]
    assert table.loc["plain", "PID 1"] == "sleep" and table.loc["plain", "exit code"] == 137
    assert table.loc["plain", "ended after"] == "about 3 s"
    assert table.loc["plain", "why"].startswith("SIGKILL")
    assert table.loc["with-init", "PID 1"] == "docker-init"
    assert table.loc["with-init", "ended after"] == "under 2 s"
    assert table.loc["with-init", "why"] == "its PID 1 ended on SIGTERM"


def test_stop_all_hands_on_a_failure(fakes: Callable[..., Fakes]) -> None:
    cli = CliEngine(FakeClient())
    cli.answers[("docker", "stop")] = (1, "", "Error response from daemon: No such container\n")
    fakes(host=FakeHost(files={"/proc/11/comm": "sleep\n"}), client=cli.client,
          system=cli.system())
    with pytest.raises(CommandFailed, match="No such container"):
        pid1.stop_all([FakeContainer("gone", pid=11)], timeout=None)
    assert cli.calls[0][0] == ["docker", "stop", "gone"]


TREE = {("ls", "/proc/5000/task"): "5000\n",
        ("cat", "/proc/5000/task/5000/children"): "5001 5002 "}


@pytest.fixture
def orphan_host(fakes: Callable[..., Fakes]) -> FakeHost:
    files = {"/proc/5000/status": status("sleep", "S (sleeping)", 4900, 5000, 1),
             "/proc/4900/status": status("containerd-shim", "S (sleeping)", 1, 4900),
             "/proc/5002/status": status("sleep", "Z (zombie)", 5000, 5002, 3)}
    # 5001 ended between `docker top` and the read: it is left out.
    return fakes(host=FakeHost(dict(TREE), files=files), clock=FakeClock()).host


def test_ps_numbers_processes_as_the_container_sees_them(
        orphan_host: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    table = pid1.ps(FakeContainer("no-reaper", pid=5000))
    assert capsys.readouterr().out == ""
    assert list(table.index) == ["PID 1", "child of PID 1"]
    assert table.loc["child of PID 1", "state"] == "Z (zombie)"
    assert table.loc["PID 1", "program"] == "sleep"
    assert [(p.pid, p.ppid) for p in pid1.procs(FakeContainer("no-reaper", pid=5000))] == [
        (1, 0), (3, 1)]


def test_ps_can_show_the_hosts_ps_first(orphan_host: FakeHost,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("ps", "-o", "pid,ppid,stat,comm", "-p", "5000", "--ppid", "5000")
    orphan_host.answers[argv] = ("    PID    PPID STAT COMMAND\n   5000    4900 Ss   sleep\n"
                                 "   5002    5000 Z    sleep <defunct>\n")
    table = pid1.ps(FakeContainer("no-reaper", pid=5000), show=True)
    assert orphan_host.calls[0] == argv
    out = capsys.readouterr().out
    assert out.startswith("$ ps -o pid,ppid,stat,comm -p 5000 --ppid 5000\n    PID    PPID")
    assert "sleep <defunct>" in out
    assert table.loc["child of PID 1", "state"] == "Z (zombie)"


def test_settle_orphans_waits_for_the_orphan_to_end(orphan_host: FakeHost) -> None:
    pid1.settle_orphans([FakeContainer("no-reaper", pid=5000)])  # a live sleep, a zombie
    orphan_host.files["/proc/5002/status"] = status("sleep", "S (sleeping)", 5000, 5002, 3)
    with pytest.raises(LabkitError, match="still runs after 10 s"):
        pid1.settle_orphans([FakeContainer("no-reaper", pid=5000)])
