"""An overlay mounted by hand on the real kernel: whiteouts, copy-up, opaque folders, cleanup."""

from __future__ import annotations

import pytest

import labkit
from labkit.base import procfs
from labkit.lab.session import Lab
from labkit.storage import overlay

pytestmark = pytest.mark.engine


def test_the_lecture_demonstration(lab: Lab, capsys) -> None:
    demo = overlay.make_demo(lab)
    overlay.mount(lab, demo)
    assert procfs.mounted(str(demo.merged))
    assert (demo.merged / "in_both.txt").read_text() == "I'm from upper\n"
    assert (demo.merged / "in_lower.txt").read_text() == "I'm from lower\n"
    listing = overlay.ls(demo).stdout
    assert "lower:\n" in listing and "merged:\n" in listing and "in_upper.txt" in listing

    overlay.echo(demo.merged / "new_file", "new file")  # as 02 section 2.2 runs it
    assert (demo.upper / "new_file").read_text() == "new file\n"

    labkit.sh(["rm", demo.merged / "in_both.txt"])
    assert overlay.kind(demo.upper / "in_both.txt") == "whiteout"
    assert (demo.lower / "in_both.txt").read_text() == "I'm from lower\n"
    assert overlay.views(demo).loc["in_both.txt", "merged"] == "-"
    seen = overlay.ls(demo, "in_both.txt")
    assert not seen.ok and "c--------- 2 root root 0, 0" in seen.stdout
    assert "merged/in_both.txt" in seen.stderr

    overlay.open_for_append(demo.merged / "big.log")  # copied up at open, before any write
    assert (demo.upper / "big.log").stat().st_size == overlay.BIG_FILE_BYTES
    overlay.echo(demo.merged / "big.log", "more", append=True)
    assert (demo.upper / "big.log").stat().st_size == overlay.BIG_FILE_BYTES + 5
    assert (demo.lower / "big.log").stat().st_size == overlay.BIG_FILE_BYTES

    labkit.sh(["rm", "-r", demo.merged / "conf"])
    labkit.sh(["mkdir", demo.merged / "conf"])
    assert overlay.is_opaque(demo.upper / "conf")
    assert list((demo.merged / "conf").iterdir()) == []
    assert "$ mount -t overlay" in capsys.readouterr().out


def test_several_lowers_without_upper_are_read_only(lab: Lab) -> None:
    stack = overlay.make_layers(lab, {"one": {"f": "1\n", "g": "g\n"}, "two": {"f": "2\n"},
                                      "three": {"g": None}})
    overlay.mount(lab, stack)
    assert (stack.merged / "f").read_text() == "2\n"
    assert not (stack.merged / "g").exists()
    wrote = overlay.echo(stack.merged / "x", "hello", check=False)
    assert not wrote.ok and "Read-only file system" in wrote.stderr
    overlay.echo(stack.lowers[0] / "y", "through a shell")
    assert (stack.lowers[0] / "y").read_text() == "through a shell\n"


def test_cleanup_unmounts_and_removes_the_folders(lab: Lab) -> None:
    ex = overlay.make_exercise(lab)
    assert procfs.mounted(str(ex.merged))
    lab.cleanup()
    assert not procfs.mounted(str(ex.merged))
    assert not ex.root.exists()


def test_unmount_keeps_upperdir(lab: Lab) -> None:
    ex = overlay.make_exercise(lab)
    labkit.sh(["rm", ex.merged / "secret.txt"])
    overlay.unmount(ex)
    assert not procfs.mounted(str(ex.merged))
    assert overlay.kind(ex.upper / "secret.txt") == "whiteout"
