from __future__ import annotations

import pytest

from labkit.base import facts
from labkit.base.errors import EngineUnavailable, NotRoot
from labkit.cli import commands as cli
from labkit.cli import doctor, provision

from .fakes.client import FakeClient, info
from .fakes.machine import FakeMachine


def test_without_an_engine_the_course_cannot_run(machine: FakeMachine) -> None:
    rows = doctor.checks()
    assert not doctor.can_run(rows)
    first = rows[0]
    assert first.check == "engine reachable" and first.status == "FAIL"
    assert "labkit engine up" in first.fix


def test_every_failed_row_says_how_to_fix_it(machine: FakeMachine) -> None:
    frame = doctor.table()
    failed = frame[frame["status"] != "ok"]
    assert len(failed) > 0
    assert all(fix.strip() for fix in failed["fix"])


def test_missing_tools_name_their_package(machine: FakeMachine) -> None:
    machine.with_tools(missing=["brctl"])
    row = next(r for r in doctor.checks() if r.check == "tool: brctl")
    assert row.detail == "missing (package bridge-utils)" and "labkit engine up" in row.fix
    assert doctor.TOOLS is provision.TOOLS


def test_doctor_command_exits_non_zero_and_says_what_to_do(
        machine: FakeMachine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "no Docker Engine answers" in out and "sudo labkit engine up" in out
    assert "cannot run yet" in out


def test_warnings_do_not_block() -> None:
    rows = [doctor.Check("engine reachable", True, "20.10"),
            doctor.Check("image: redis:7.0", False, "missing", "labkit images", blocking=False)]
    assert doctor.can_run(rows)
    assert [r.status for r in rows] == ["ok", "warn"]


def _rows(machine: FakeMachine, client: FakeClient) -> dict[str, doctor.Check]:
    machine.with_tools()
    machine.engine = client
    return {r.check: r for r in doctor.engine_rows(facts.facts())}


def test_debian_12_engine_rows_are_all_fine(machine: FakeMachine) -> None:
    machine.buildx = False
    machine.iptables = "iptables v1.8.9 (legacy)\n"
    rows = _rows(machine, FakeClient(info(CgroupVersion="1"), server_version="20.10.24+dfsg1",
                                     ping_headers={}))
    assert all(r.ok for r in rows.values())
    assert rows["builder"].detail.startswith("classic") and "docker-buildx" in rows[
        "builder"].detail and "fine for the course" in rows["builder"].detail
    assert rows["storage"].detail == "overlay2 graphdriver"
    assert rows["firewall backend"].detail == "iptables-legacy"
    assert rows["cgroup version"].detail == "cgroup v1 (containers' default: --cgroupns host)"


def test_newer_engine_without_buildx_warns_with_the_plugin_package(machine: FakeMachine) -> None:
    machine.buildx = False
    rows = _rows(machine, FakeClient(info(), server_version="26.1.5+dfsg1"))
    builder = rows["builder"]
    assert builder.status == "warn" and "docker-buildx" in builder.fix


def test_buildkit_engine_says_so(machine: FakeMachine) -> None:
    rows = _rows(machine, FakeClient(info(FirewallBackend={"Driver": "iptables"})))
    assert rows["builder"].ok and rows["builder"].detail.startswith("BuildKit")
    assert rows["firewall backend"].detail == "iptables-nft (engine: iptables)"


CONTAINERD = {"Driver": "overlayfs",
              "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]]}


def test_the_containerd_store_is_simply_ok(machine: FakeMachine) -> None:
    row = _rows(machine, FakeClient(info(**CONTAINERD), server_version="29.7.2"))["storage"]
    assert row.status == "ok" and row.detail == "containerd image store (overlayfs snapshotter)"


@pytest.mark.parametrize("answer", [info(Driver="vfs"), info(Driver="btrfs", DriverStatus=[
    ["driver-type", "io.containerd.snapshotter.v1"]])])
def test_a_store_without_overlay_folders_warns_without_reconfiguring_the_engine(
        machine: FakeMachine, answer: dict[str, object]) -> None:
    row = _rows(machine, FakeClient(answer))["storage"]
    assert row.status == "warn" and "chapter 02" in row.detail
    assert row.fix == doctor.FIX_STORE


@pytest.mark.parametrize("fix", [doctor.FIX_STORE, doctor.FIX_TOOLS, doctor.FIX_BUILDER])
def test_no_fix_reconfigures_the_learners_engine(fix: str) -> None:
    # Switching the store hides every image the learner has; the firewall backend is theirs.
    for advice in ("daemon.json", "containerd-snapshotter", "storage-driver", "firewall-backend",
                   "restart"):
        assert advice not in fix


def test_nftables_firewall_is_ok_and_says_where_the_rules_are(machine: FakeMachine) -> None:
    row = _rows(machine, FakeClient(info(FirewallBackend={"Driver": "nftables"}),
                                    server_version="29.7.2"))["firewall backend"]
    assert row.status == "ok" and "docker-bridges" in row.detail and not row.fix


def test_local_engine_without_iptables_cannot_run(machine: FakeMachine) -> None:
    machine.with_tools()
    del machine.tools["iptables"]
    machine.engine = FakeClient(info())
    rows = {r.check: r for r in doctor.engine_rows(facts.facts())}
    assert rows["firewall backend"].status == "FAIL"


def test_engine_down_leaves_an_engine_labkit_did_not_start(machine: FakeMachine) -> None:
    assert "leaving it alone" in provision.down(progress=lambda m: None)


def test_engine_up_without_root_says_to_use_sudo(machine: FakeMachine) -> None:
    machine.root = False
    with pytest.raises(NotRoot) as caught:
        provision.up(progress=lambda m: None)
    assert "sudo labkit engine up" in caught.value.hint


def test_engine_up_elsewhere_points_to_docker_desktop(machine: FakeMachine) -> None:
    machine.os_name = "Darwin"
    with pytest.raises(EngineUnavailable) as caught:
        provision.up(progress=lambda m: None)
    assert "Docker Desktop" in caught.value.hint


def _facts(machine: FakeMachine, version: str = "29.7.2", **extra: object) -> facts.EngineFacts:
    machine.with_tools()
    machine.engine = FakeClient(info(**extra), server_version=version)
    return facts.facts()


def test_where_the_course_runs_on_cgroup_v1_docker_29(machine: FakeMachine) -> None:
    warning = ("WARNING: Support for cgroup v1 is deprecated and planned to be removed by no "
               "later than May 2029 (https://github.com/moby/moby/issues/51111)")
    text = doctor.where_the_course_runs(_facts(machine, CgroupVersion="1", Warnings=[warning],
                                               **CONTAINERD))
    assert "Docker 29.7.2 with its defaults and with the nftables firewall backend" in text
    assert "recorded on Docker 29.7.2 (containerd image store, iptables firewall backend)" in text
    assert "This engine: Docker 29.7.2, containerd image store (overlayfs snapshotter)" in text
    assert "uses cgroup v1, as the machines the course is recorded on do" in text
    assert "Here the default is --cgroupns host." in text
    assert "This engine warns that its support for cgroup v1 is deprecated" in text


def test_where_the_course_runs_on_cgroup_v2(machine: FakeMachine) -> None:
    text = doctor.where_the_course_runs(_facts(machine, CgroupVersion="2"))
    assert "uses cgroup v2, as most machines do today" in text
    assert "overlay2 graphdriver" in text and "Here the default is --cgroupns private." in text
    assert "deprecate" not in text


def test_an_older_engine_on_cgroup_v1_is_told_what_docker_29_does(machine: FakeMachine) -> None:
    text = doctor.where_the_course_runs(_facts(machine, "20.10.24+dfsg1", CgroupVersion="1"))
    assert "Docker 29 and later deprecate cgroup v1" in text and "20.10.24+dfsg1 does not" in text
