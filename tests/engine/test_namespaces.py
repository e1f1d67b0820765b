"""labkit.namespaces.procns against the real engine: who shares which namespace, and lsns."""

from __future__ import annotations

import os

import pytest

from labkit.base.facts import facts
from labkit.lab.session import Lab
from labkit.namespaces import nsdefaults, views
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_containers_have_their_own_namespaces_share_user_and_time_as_their_engine_does(
        lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sh", "-c", "sleep 300 & wait"], name="t-ns-box")
    hostnet = lab.run("labkit/busybox", ["sleep", "300"], name="t-ns-hostnet",
                      flags=["--network", "host"])
    pid = namespaces.container_pid(box)
    kids = namespaces.child_pids(pid)
    assert len(kids) == 1
    m = namespaces.ns_matrix({"here": os.getpid(), "box": pid, "child": kids[0],
                              "hostnet": namespaces.container_pid(hostnet)})
    assert "user" in m.shared("here", "box")
    assert not {"ipc", "mnt", "net", "pid", "uts"} & set(m.shared("here", "box"))
    assert m.shared("box", "child") == list(namespaces.TYPES)
    hn = set(m.shared("here", "hostnet"))
    assert "net" in hn and not {"ipc", "mnt", "pid", "uts"} & hn
    assert m.to_frame().loc["hostnet", "net"] == "here"
    # The time namespace: each container's own from Docker 29.5 (unless dockerd runs with
    # `--feature time-namespaces=false`), the host's before; --network=host changes nothing.
    f = facts()
    off = nsdefaults.time_feature_off(getattr(f, "daemon", None))
    if (f.major, f.minor) < nsdefaults.OWN_TIME_SINCE:
        own = False
    elif off is None:  # the daemon's settings cannot be read here: no claim on the feature
        own = "time" not in m.shared("here", "box")
    else:
        own = not off
    for row in ("box", "hostnet"):
        assert ("time" in m.shared("here", row)) is not own, (row, f.server_version, off)
    assert ("time" in m.shared("box", "hostnet")) is not own
    assert "time" in m.shared("box", "child")
    timens = nsdefaults.time_setup(box)
    assert timens.private is own and str(timens).startswith(f"Docker {f.server_version} ")


def test_host_process_is_in_this_process_namespaces(
        capsys: pytest.CaptureFixture[str]) -> None:
    host = namespaces.host_process(show=True)
    assert host.pid in (1, 2)
    # PID 1 first; where it hides /proc/1/ns (some sandboxes), PID 2's line follows
    assert f"$ readlink /proc/{host.pid}/ns/ipc " in capsys.readouterr().out
    m = namespaces.ns_matrix({"host": host.pid, "here": os.getpid()})
    assert m.shared("host", "here") == list(namespaces.TYPES)


def test_lsns_picks_out_the_lessons_container(lab: Lab,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-ns-lsns")
    capsys.readouterr()
    table = namespaces.lsns(lab)
    assert capsys.readouterr().out == "$ lsns -J\n"
    mine = views.lesson_rows(table)
    assert set(mine["owner"]) == {box.name}
    assert {"ipc", "mnt", "net", "pid", "uts"} <= set(mine["type"])
    assert set(mine["nprocs"]) == {1}
    assert (table["owner"] == "host").sum() == len(namespaces.TYPES)
