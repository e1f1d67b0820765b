"""labkit.namespaces.procns against the real engine: who shares which namespace, and lsns."""

from __future__ import annotations

import os

import pytest

from labkit.lab.session import Lab
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_containers_have_their_own_namespaces_but_share_user_and_time(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sh", "-c", "sleep 300 & wait"], name="t-ns-box")
    hostnet = lab.run("labkit/busybox", ["sleep", "300"], name="t-ns-hostnet", network_mode="host")
    pid = namespaces.container_pid(box)
    kids = namespaces.child_pids(pid)
    assert len(kids) == 1
    m = namespaces.ns_matrix({"here": os.getpid(), "box": pid, "child": kids[0],
                              "hostnet": namespaces.container_pid(hostnet)})
    assert {"user", "time"} <= set(m.shared("here", "box"))
    assert not {"ipc", "mnt", "net", "pid", "uts"} & set(m.shared("here", "box"))
    assert m.shared("box", "child") == list(namespaces.TYPES)
    hn = set(m.shared("here", "hostnet"))
    assert "net" in hn and not {"ipc", "mnt", "pid", "uts"} & hn
    assert m.to_frame().loc["hostnet", "net"] == "here"


def test_host_process_is_in_this_process_namespaces() -> None:
    host = namespaces.host_process()
    assert host.pid in (1, 2)
    m = namespaces.ns_matrix({"host": host.pid, "here": os.getpid()})
    assert m.shared("host", "here") == list(namespaces.TYPES)


def test_lsns_picks_out_the_lessons_container(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-ns-lsns")
    table = namespaces.lsns(lab)
    mine = namespaces.lesson_rows(table)
    assert set(mine["owner"]) == {box.name}
    assert {"ipc", "mnt", "net", "pid", "uts"} <= set(mine["type"])
    assert set(mine["nprocs"]) == {1}
    assert (table["owner"] == "host").sum() == len(namespaces.TYPES)
