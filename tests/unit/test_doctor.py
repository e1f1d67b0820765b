from __future__ import annotations

import pytest

from labkit.base import facts, provision
from labkit.base.errors import EngineUnavailable, NotRoot
from labkit.cli import commands as cli
from labkit.cli import doctor

from .fakes import FakeClient, FakeMachine, info


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
    assert rows["cgroup version"].detail == "cgroup v1"


def test_newer_engine_without_buildx_warns_with_the_plugin_package(machine: FakeMachine) -> None:
    machine.buildx = False
    rows = _rows(machine, FakeClient(info(), server_version="26.1.5+dfsg1"))
    builder = rows["builder"]
    assert builder.status == "warn" and "docker-buildx" in builder.fix


def test_buildkit_engine_says_so(machine: FakeMachine) -> None:
    rows = _rows(machine, FakeClient(info(FirewallBackend={"Driver": "iptables"})))
    assert rows["builder"].ok and rows["builder"].detail.startswith("BuildKit")
    assert rows["firewall backend"].detail == "iptables-nft (engine: iptables)"


def test_containerd_store_fix_is_the_snapshotter_feature_not_a_storage_driver(
        machine: FakeMachine) -> None:
    store = info(Driver="overlayfs",
                 DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])
    row = _rows(machine, FakeClient(store))["storage"]
    assert row.status == "warn" and row.detail.startswith("containerd image store")
    assert '"containerd-snapshotter": false' in row.fix and "storage-driver" not in row.fix
    assert "restart" in row.fix and "not visible" in row.fix


def test_nftables_firewall_warns_for_chapter_03(machine: FakeMachine) -> None:
    row = _rows(machine, FakeClient(info(FirewallBackend={"Driver": "nftables"})))[
        "firewall backend"]
    assert row.status == "warn" and "firewall-backend" in row.fix


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
