"""labkit.namespaces.pidns without an engine: /proc/PID/status, both views, host signals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError, NotRoot
from labkit.namespaces import pid1, pidns

from .fakes.client import FakeContainer
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


def test_stop_all_runs_the_stops_side_by_side(fakes: Callable[..., Fakes],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    boxes = {"plain": FakeContainer("plain", pid=11), "with-init": FakeContainer("with-init",
                                                                                pid=12)}
    codes = {"plain": 137, "with-init": 143}
    clock = FakeClock()
    seen: list[str] = []

    def stop(argv: tuple[str, ...]) -> str:
        name = argv[-1]
        seen.append(name)
        clock.now += 10.2 if name == "plain" else 0.0
        boxes[name].attrs["State"].update(Running=False, Status="exited",
                                          ExitCode=codes[name], Pid=0)
        return name + "\n"

    fakes(host=FakeHost({("docker", "stop"): stop},
                        files={"/proc/11/comm": "sleep\n", "/proc/12/comm": "docker-init\n"}),
          clock=clock)
    table = pid1.stop_all(list(boxes.values()))
    assert sorted(seen) == ["plain", "with-init"]
    assert capsys.readouterr().out.splitlines() == ["$ docker stop plain",
                                                    "$ docker stop with-init"]
    assert table.loc["plain", "PID 1"] == "sleep" and table.loc["plain", "exit code"] == 137
    assert table.loc["plain", "why"].startswith("SIGKILL")
    assert table.loc["with-init", "PID 1"] == "docker-init"
    assert table.loc["with-init", "why"] == "its PID 1 ended on SIGTERM"


def test_stop_all_hands_on_a_failure(fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost({("docker", "stop"): (1, "", "No such container")},
                        files={"/proc/11/comm": "sleep\n"}))
    with pytest.raises(LabkitError):
        pid1.stop_all([FakeContainer("gone", pid=11)])


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


def test_settle_orphans_waits_for_the_orphan_to_end(orphan_host: FakeHost) -> None:
    pid1.settle_orphans([FakeContainer("no-reaper", pid=5000)])  # a live sleep, a zombie
    orphan_host.files["/proc/5002/status"] = status("sleep", "S (sleeping)", 5000, 5002, 3)
    with pytest.raises(LabkitError, match="still runs after 10 s"):
        pid1.settle_orphans([FakeContainer("no-reaper", pid=5000)])
