"""labkit.namespaces.nsdefaults without an engine: the cgroup and time namespaces Docker gives a
container, read with the commands the lesson shows."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib
import pytest

from labkit.namespaces import nsdefaults, procns, views

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer, info
from .fakes.host import FakeHost, readlink_answer
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes

matplotlib.use("Agg")

HOST = {t: 4026531830 + i for i, t in enumerate(procns.TYPES)}
C1 = {**HOST, **{t: 4026532100 + i for i, t in enumerate(["ipc", "mnt", "net", "pid", "uts"])}}


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    host = FakeHost({("readlink",): readlink_answer({1: HOST, 2: HOST, 10: C1})},
                    files={"/proc/1/comm": "init\n", "/proc/2/comm": "kthreadd\n"})
    return fakes(host=host).host


@pytest.mark.parametrize("fstype,mode,version,label,says", [
    ("tmpfs", "host", "1", "cgroup\n(v1: host's)",
     "--cgroupns host (kept on cgroup v1 for compatibility: before Engine 20.10 every container "
     "shared the host's cgroup namespace), and c1 runs with host"),
    ("cgroup2fs", "private", "2", "cgroup\n(v2: own)",
     "--cgroupns private (on cgroup v2 a container sees its own cgroup as the root of "
     "/sys/fs/cgroup), and c1 runs with private, so it has a cgroup namespace of its own"),
])
def test_cgroup_setup_runs_what_it_shows(fake: FakeHost, fakes: Callable[..., Fakes],
                                        capsys: pytest.CaptureFixture[str], fstype: str,
                                        mode: str, version: str, label: str, says: str) -> None:
    fake.answers[("stat", "-f", "-c", "%T", "/sys/fs/cgroup")] = fstype + "\n"
    c1 = FakeContainer("c1", pid=10)
    cli = CliEngine(FakeClient(containers=[c1]))
    cli.answers[("docker", "inspect")] = (0, mode + "\n", "")
    fakes(client=cli.client, system=cli.system())
    setup = nsdefaults.cgroup_setup(c1)
    assert (setup.version, setup.mode, setup.label) == (version, mode, label)
    assert says in str(setup) and f"/sys/fs/cgroup is {fstype}" in str(setup)
    assert fake.calls == [("stat", "-f", "-c", "%T", "/sys/fs/cgroup")]
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "inspect", "-f", "{{.HostConfig.CgroupnsMode}}", "c1"]]
    out = capsys.readouterr().out.splitlines()
    assert out == ["$ stat -f -c %T /sys/fs/cgroup", fstype,
                   "$ docker inspect -f '{{.HostConfig.CgroupnsMode}}' c1", mode]


@pytest.mark.parametrize("cgroup,mode", [(HOST["cgroup"], "host"), (4026532777, "private")])
def test_cgroup_setup_compares_links_when_the_engine_does_not_say(
        fake: FakeHost, fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str],
        cgroup: int, mode: str) -> None:
    fake.answers[("stat", "-f", "-c", "%T", "/sys/fs/cgroup")] = "tmpfs\n"
    fake.answers[("readlink",)] = readlink_answer({1: HOST, 10: {**C1, "cgroup": cgroup}})
    cli = CliEngine(FakeClient())
    cli.answers[("docker", "inspect")] = (0, "\n", "")  # an engine that leaves it empty
    fakes(client=cli.client, system=cli.system())
    assert nsdefaults.cgroup_setup(FakeContainer("c1", pid=10)).mode == mode
    assert "$ readlink /proc/10/ns/cgroup /proc/1/ns/cgroup" in capsys.readouterr().out


def test_heatmap_labels_the_cgroup_column(fake: FakeHost) -> None:
    m = procns.ns_matrix({"host": 2, "c1": 10})
    setup = nsdefaults.CgroupSetup("cgroup2fs", "c1", "private")
    ax = views.heatmap(m, cgroup=setup).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "cgroup\n(v2: own)"


# -- the time namespace: Docker 29.5 and later give each container its own -------------------
OWN_TIME = {**C1, "time": 4026532199}


@pytest.mark.parametrize("daemon,off", [
    (None, None), ({}, False), ({"features.time-namespaces": "false"}, True),
    ({"features.time-namespaces": "true"}, False),
    ({"feature": "containerd-snapshotter=true,time-namespaces=false"}, True),
    ({"feature": "time-namespaces"}, False)])
def test_time_feature_off_reads_daemon_json_and_the_flag(
        daemon: dict[str, str] | None, off: bool | None) -> None:
    assert nsdefaults.time_feature_off(daemon) is off


def _time(version: str, private: bool, off: bool | None = False) -> nsdefaults.TimeSetup:
    major, minor = (int(x) for x in version.split(".")[:2])
    return nsdefaults.TimeSetup(version, major, minor, "c1", private, off)


def test_docker_29_5_and_later_give_each_container_its_own_time_namespace() -> None:
    t = _time("29.7.2", True)
    assert t.by_default and t.expected is True and t.label == "time\n(29.7: own)"
    text = str(t)
    assert text.startswith("Docker 29.7.2 gives each container a time namespace of its own")
    assert "Docker 29.5 and later" in text and "--feature time-namespaces=false" in text
    assert _time("29.5.0", True).by_default and not _time("29.4.1", False).by_default


def test_the_feature_off_keeps_containers_in_the_hosts_time_namespace() -> None:
    t = _time("29.7.2", False, off=True)
    assert t.expected is False and "shares the host's" in str(t)
    assert "runs with the feature switched off" in str(t) and t.label == "time\n(29.7: host's)"
    assert _time("29.7.2", False, off=None).expected is None  # settings unreadable: no claim


def test_engines_before_29_5_share_the_hosts_time_namespace() -> None:
    t = _time("28.5.2", False)
    assert t.expected is False
    assert str(t).startswith("Docker 28.5.2 leaves every container in the host's time namespace")
    assert "before Docker 29.5" in str(t) and "--feature time-namespaces=false" in str(t)
    assert "something else made it" in str(_time("20.10.24", True))


@pytest.mark.parametrize("version,flags,table,private", [
    ("29.7.2", "", OWN_TIME, True), ("29.7.2", "--feature\0time-namespaces=false\0", C1, False),
    ("28.5.2", "", C1, False)])
def test_time_setup_compares_the_containers_link_with_the_hosts(
        machine: FakeMachine, fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str],
        version: str, flags: str, table: dict[str, int], private: bool) -> None:
    machine.with_tools()
    # The running dockerd, as labkit.base.daemonconfig finds it: its pidfile and command line.
    machine.files.update({"/var/run/docker.pid": "77\n",
                          "/proc/77/cmdline": f"/usr/sbin/dockerd\0{flags}"})
    machine.engine = FakeClient(info(), server_version=version)
    fakes(host=FakeHost({("readlink",): readlink_answer({1: HOST, 10: table})},
                        files={"/proc/1/comm": "init\n"}))
    t = nsdefaults.time_setup(FakeContainer("c1", pid=10))
    assert (t.private, t.version, t.expected) == (private, version, private)
    out = capsys.readouterr().out
    assert "$ readlink /proc/10/ns/time /proc/1/ns/time" in out
    assert f"time:[{table['time']}]\ntime:[{HOST['time']}]" in out


def test_heatmap_labels_the_time_column_with_the_engines_answer(fake: FakeHost) -> None:
    m = procns.ns_matrix({"host": 2, "c1": 10})
    fig = views.heatmap(m, time=_time("28.5.2", False))
    names = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert names[procns.TYPES.index("time")] == "time\n(28.5: host's)"
