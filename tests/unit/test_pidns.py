"""labkit.namespaces.pidns without an engine: /proc/PID/status, both views, host signals."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError, NotRoot
from labkit.namespaces import pidns

from .fakes import FakeClock, FakeContainer, FakeHost, Fakes

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
