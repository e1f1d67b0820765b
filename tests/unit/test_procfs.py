"""labkit.base.procfs on recorded /proc text: mountinfo, stat, cmdline, status, ns links.

samples/mountinfo.txt was recorded in a mount namespace holding an overlay mounted on a
folder whose name has a space (the kernel writes it as \\040), bind mounts and an nsfs file;
the stat, status and readlink samples come from real processes (one named "a b)", one in a
pid namespace of its own).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base import procfs
from labkit.base.errors import LabkitError

from .fakes.host import FakeHost, readlink_answer
from .fakes.seam import Fakes

SAMPLES = Path(__file__).parent / "samples"
MOUNTINFO = (SAMPLES / "mountinfo.txt").read_text()


def test_mountinfo_rows_keep_every_field() -> None:
    rows = procfs.parse_mountinfo(MOUNTINFO)
    root = rows[0]
    assert (root.mount_id, root.parent_id, root.root, root.mount_point) == (47, 46, "/", "/")
    assert (root.fstype, root.source, root.options) == ("ext4", "/dev/vda", "rw,relatime")
    bind = next(r for r in rows if r.mount_point == "/var/lib/docker")
    assert bind.root == "/var/lib/docker" and bind.fstype == "ext4"
    nsfs = next(r for r in rows if r.fstype == "nsfs")
    assert nsfs.root == "net:[4026531833]" and nsfs.mount_point == "/run/docker/netns/default"


def test_overlay_row_unescapes_its_path_and_splits_its_options() -> None:
    overlay = next(r for r in procfs.parse_mountinfo(MOUNTINFO) if r.fstype == "overlay")
    assert overlay.mount_point == "/tmp/ovs/my merged"  # \040 in the file
    opts = overlay.super_opts
    assert opts["lowerdir"] == "/tmp/ovs/l2:/tmp/ovs/l1"
    assert (opts["upperdir"], opts["workdir"], opts["rw"]) == ("/tmp/ovs/up", "/tmp/ovs/wk", "")
    assert list(opts)[:4] == ["rw", "lowerdir", "upperdir", "workdir"]


def test_lines_that_are_not_mounts_are_skipped() -> None:
    assert procfs.parse_mountinfo("\ngarbage\n12 1 0:1 / /x rw\n") == []
    assert procfs.unescape(r"a\040b\011c\134d") == "a b\tc\\d"


def test_mount_points_and_mounted_read_this_machine(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "mountinfo").write_text(MOUNTINFO)
    # This machine's own /proc, read directly (not the Docker host's): PROC says where.
    monkeypatch.setattr(procfs, "PROC", tmp_path)
    points = procfs.mount_points()
    assert points[0] == "/" and "/tmp/ovs/my merged" in points
    assert procfs.mounted("/run/netns") and procfs.mounted("/run/netns/")
    assert not procfs.mounted("/run/netns/other")
    with pytest.raises(OSError):
        procfs.mount_points(1)


def test_mounts_of_a_container_come_through_the_host(fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost(files={"/proc/4242/mountinfo": MOUNTINFO}))
    assert procfs.mounts(4242)[-1].fstype == "overlay"


def test_stat_counts_fields_after_the_last_parenthesis() -> None:
    odd = procfs.parse_stat((SAMPLES / "stat-odd-name.txt").read_text())
    assert odd == procfs.Stat("S", "2469455")
    with pytest.raises(ValueError):
        procfs.parse_stat("42 (short) R 1 2")


def test_stat_and_start_time_of_a_real_and_a_missing_process() -> None:
    mine = procfs.stat(os.getpid())
    assert mine is not None and mine.state in {"R", "S"}
    assert procfs.start_time(os.getpid()) == mine.start_time != ""
    assert procfs.stat(2 ** 22 + 1) is None and procfs.start_time(2 ** 22 + 1) == ""


def test_cmdline_splits_at_nul(tmp_path: Path) -> None:
    assert procfs.parse_cmdline(b"dockerd\0--data-root\0/x y\0") == ["dockerd", "--data-root",
                                                                    "/x y"]
    (tmp_path / "7").mkdir()
    (tmp_path / "7" / "cmdline").write_bytes(b"/usr/bin/docker-proxy\0-proto\0tcp\0")
    assert procfs.cmdline(7, proc=tmp_path) == ["/usr/bin/docker-proxy", "-proto", "tcp"]
    assert procfs.cmdline(8, proc=tmp_path) == []


def test_status_fields_of_a_process_in_its_own_pid_namespace(
        fakes: Callable[..., Fakes]) -> None:
    text = (SAMPLES / "status-in-pidns.txt").read_text()
    fields = procfs.parse_status(text)
    assert fields["Name"] == "sleep" and fields["NSpid"].split() == ["30771", "1"]
    fakes(host=FakeHost(files={"/proc/30771/status": text, "/proc/30769/comm": "unshare\n"}))
    assert procfs.status(30771)["PPid"] == "30769" and procfs.comm(30769) == "unshare"


def test_ns_links_parse_and_read(fakes: Callable[..., Fakes]) -> None:
    text = (SAMPLES / "readlink-ns.txt").read_text()
    assert procfs.parse_ns_links(text) == {"net": 4026531833, "pid": 4026531836,
                                           "user": 4026532181}  # the last pid line wins
    fakes(host=FakeHost({("readlink",): readlink_answer({10: {"net": 5, "pid": 6},
                                                         11: {"net": 5}})}))
    assert procfs.ns_inodes(10, ["net", "pid"]) == {"net": 5, "pid": 6}
    with pytest.raises(LabkitError, match="Cannot read the namespaces of PID 11") as info:
        procfs.ns_inodes(11, ["net", "pid"])
    assert "needs root" in info.value.hint


def test_same_namespace_is_one_readlink(fakes: Callable[..., Fakes]) -> None:
    host = fakes(host=FakeHost({("readlink",): "net:[1]\nnet:[1]\n"})).host
    assert procfs.same_namespace(5, "self", "net")
    assert host.calls == [("readlink", "/proc/5/ns/net", "/proc/self/ns/net")]
    host.answers[("readlink",)] = "net:[1]\nnet:[2]\n"
    assert not procfs.same_namespace(5, "self", "net")


def test_filesystems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "filesystems").write_text((SAMPLES / "filesystems.txt").read_text())
    monkeypatch.setattr(procfs, "PROC", tmp_path)  # as above: this machine's /proc
    found = procfs.filesystems()
    assert "overlay" in found and "ext4" in found and "nodev" not in found
