"""labkit.namespaces.procns without an engine: links, the matrix, the heatmap, lsns' owners."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from labkit.base.errors import LabkitError
from labkit.base.show import command_line
from labkit.namespaces import procns as namespaces
from labkit.namespaces import views

from .fakes.client import FakeClient, FakeContainer
from .fakes.host import FakeHost, readlink_answer
from .fakes.seam import Fakes

matplotlib.use("Agg")

HOST = {t: 4026531830 + i for i, t in enumerate(namespaces.TYPES)}
C1 = {**HOST, **{t: 4026532100 + i for i, t in enumerate(["ipc", "mnt", "net", "pid", "uts"])}}
HOSTNET = {**HOST, **{t: 4026532200 + i for i, t in enumerate(["ipc", "mnt", "pid", "uts"])}}


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    table = {2: HOST, 10: C1, 11: C1, 20: HOSTNET}
    host = FakeHost({("readlink",): readlink_answer(table)},
                    files={"/proc/1/comm": "init\n", "/proc/2/comm": "kthreadd\n"})
    return fakes(host=host).host


def test_ns_types_shows_ls_then_explains_each_entry(fakes: Callable[..., Fakes],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    host = fakes(host=FakeHost({("ls", "-C", "/proc/self/ns"): "uts  net  future_ns\n"},
                               strict=True)).host
    table = views.ns_types()
    assert host.calls == [("ls", "-C", "/proc/self/ns")]
    assert capsys.readouterr().out == "$ ls -C /proc/self/ns\nuts  net  future_ns\n"
    assert list(table["type"]) == ["future_ns", "net", "uts"]
    assert table.set_index("type").loc["net", "flag"] == "CLONE_NEWNET"
    assert "not described" in table.set_index("type").loc["future_ns", "isolates"]


def test_read_ns_explains_an_unreadable_process(fake: FakeHost) -> None:
    assert namespaces.read_ns(10)["net"] == C1["net"]
    with pytest.raises(LabkitError, match="Permission denied") as info:
        namespaces.read_ns(1)
    assert "root" in info.value.hint


def test_host_process_falls_back_to_kthreadd_when_pid_1_hides(fake: FakeHost) -> None:
    host = namespaces.host_process()
    assert (host.pid, host.command) == (2, "kthreadd")
    assert "hides" in str(host)


def test_host_process_is_pid_1_when_readable(fake: FakeHost) -> None:
    fake.answers[("readlink",)] = readlink_answer({1: HOST})
    assert namespaces.host_process().pid == 1


# The kernel's fixed inode numbers for its initial namespaces (include/linux/proc_ns.h).
INITIAL = {**HOST, "ipc": 4026531839, "uts": 4026531838, "user": 4026531837,
           "pid": 4026531836, "cgroup": 4026531835, "time": 4026531834}


def test_host_process_in_the_initial_namespaces_says_so(fake: FakeHost) -> None:
    fake.answers[("readlink",)] = readlink_answer({1: INITIAL})
    host = namespaces.host_process()
    assert host.initial and host.not_initial == ()
    assert "in the kernel's initial namespaces" in str(host) and "pid:[4026531836]" in str(host)


def test_host_process_can_show_the_readlink_it_compares(
        fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    fake.answers[("readlink",)] = readlink_answer({1: INITIAL})
    host = namespaces.host_process(show=True)
    assert host.pid == 1 and host.initial
    argv = ("readlink", *(f"/proc/1/ns/{t}" for t in namespaces.INITIAL_INODES))
    assert fake.calls[0] == argv
    out = capsys.readouterr().out
    assert out.startswith("$ " + command_line(argv) + "\n") and "\npid:[4026531836]\n" in out


def test_host_process_shows_the_fallback_to_pid_2_too(
        fake: FakeHost, capsys: pytest.CaptureFixture[str]) -> None:
    host = namespaces.host_process(show=True)  # PID 1 hides its links here
    assert host.pid == 2 and "hides" in str(host)
    out = capsys.readouterr().out
    assert "$ readlink /proc/1/ns/ipc" in out and "Permission denied" in out
    assert "$ readlink /proc/2/ns/ipc" in out


def test_a_machine_that_is_itself_a_container_is_not_called_initial(fake: FakeHost) -> None:
    # PID 1 of a container-like machine: a pid and cgroup namespace of its own.
    fake.answers[("readlink",)] = readlink_answer(
        {1: {**INITIAL, "pid": 4026532500, "cgroup": 4026532501}})
    host = namespaces.host_process()
    assert not host.initial and host.not_initial == ("pid", "cgroup")
    assert "not in the kernel's initial namespaces" in str(host)
    assert "itself a container" in str(host)


def test_initial_inodes_are_the_kernel_constants() -> None:
    assert namespaces.INITIAL_INODES["pid"] == 4026531836
    assert namespaces.INITIAL_INODES["user"] == 4026531837
    assert namespaces.not_initial(INITIAL) == ()
    assert namespaces.not_initial({"pid": 4026531836, "net": 1}) == ()  # net has no constant


def test_matrix_names_the_first_process_in_each_namespace(fake: FakeHost) -> None:
    m = namespaces.ns_matrix({"host": 2, "c1": 10, "c1's child": 11, "hostnet": 20})
    words = m.to_frame()
    assert words.loc["c1", "net"] == "c1" and words.loc["c1's child", "net"] == "c1"
    assert words.loc["hostnet", "net"] == "host" and words.loc["hostnet", "uts"] == "hostnet"
    assert set(words.loc["c1", ["user", "time", "cgroup"]]) == {"host"}
    assert m.shared("host", "hostnet") == ["cgroup", "net", "time", "user"]
    assert m.shared("c1", "c1's child") == list(namespaces.TYPES)
    sharing = m.sharing("host")
    assert sharing.loc["hostnet", "its own"] == "ipc, mnt, pid, uts"
    assert sharing.loc["host", "its own"] == "-"


def test_shared_compares_links(fake: FakeHost) -> None:
    assert namespaces.ns_matrix({"a": 10, "b": 20}).shared("a", "b") == ["cgroup", "time", "user"]


def test_heatmap_labels_every_cell(fake: FakeHost) -> None:
    m = namespaces.ns_matrix({"host": 2, "c1": 10, "hostnet": 20})
    fig = views.heatmap(m)
    ax = fig.axes[0]
    assert len(ax.texts) == 3 * len(namespaces.TYPES)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["host", "c1", "hostnet"]
    # the host's namespaces share one colour: the first of the palette
    codes = ax.images[0].get_array()
    assert codes[0].tolist() == [0] * len(namespaces.TYPES) and codes[1][3] != 0


def test_container_pid_refuses_a_stopped_container() -> None:
    assert namespaces.container_pid(FakeContainer("c1", pid=77)) == 77
    with pytest.raises(LabkitError, match="not running") as info:
        namespaces.container_pid(FakeContainer("c1", running=False))
    assert "docker start c1" in info.value.hint


def test_child_pids_reads_every_task(fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost({("ls", "/proc/10/task"): "10\n12\n",
                         ("cat", "/proc/10/task/10/children"): "31 30 ",
                         ("cat", "/proc/10/task/12/children"): ""}))
    assert namespaces.child_pids(10) == [30, 31]


def test_lsns_picks_out_the_host_and_the_lessons_containers(
        fake: FakeHost, fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"ns": HOST["net"], "type": "net", "nprocs": 90, "pid": 2, "user": "root",
             "command": "kthreadd"},
            {"ns": C1["net"], "type": "net", "nprocs": 2, "pid": 10, "user": "root",
             "command": "sh"},
            {"ns": HOSTNET["uts"], "type": "uts", "nprocs": 1, "pid": 20, "user": "root",
             "command": "sleep"},
            {"ns": 4026539999, "type": "mnt", "nprocs": 1, "pid": 500, "user": "root",
             "command": "someone else"}]
    fake.answers[("lsns", "-J")] = json.dumps({"namespaces": rows})
    c1 = FakeContainer("c1", pid=10, lesson=True)
    c1.attrs["Created"] = "2023-12-31T00:00:00Z"  # before hostnet
    # Only the lesson's running containers are found (by its session label), oldest first.
    fakes(client=FakeClient(containers=[
        FakeContainer("hostnet", pid=20, lesson=True), c1, FakeContainer("someones", pid=500),
        FakeContainer("stopped", running=False, lesson=True)]))
    table = namespaces.lsns(lab=SimpleNamespace(session="s000000"))
    assert capsys.readouterr().out == "$ lsns -J\n"  # the JSON is the table's to show
    assert fake.calls[0] == ("lsns", "-J")
    assert not any("/proc/500/" in arg for call in fake.calls for arg in call)
    assert list(table["owner"]) == ["host", "c1", "hostnet", ""]
    mine = views.lesson_rows(table)
    assert list(mine["owner"]) == ["c1", "hostnet"]
    assert list(mine.columns) == ["owner", "type", "ns", "nprocs", "command"]
    assert isinstance(mine, pd.DataFrame)


def test_04_1_names_a_time_namespace_of_its_own_where_the_engine_gives_one() -> None:
    from labkit.namespaces import checks

    # Docker 29.5 and later: c1 and the learner's container each have their own time namespace.
    c1, mine = {**C1, "time": 4026532199}, {**C1, "time": 4026532299, "ipc": 1, "mnt": 2, "net": 3,
                              "uts": 4}
    result = checks.judge_joined(checks.JoinFacts("c1", mine, c1, HOST))
    assert result.passed and "shares cgroup, pid, user with c1" in result.message
    assert "its own ipc, mnt, net, time, uts" in result.message
