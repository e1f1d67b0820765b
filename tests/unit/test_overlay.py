"""labkit.storage.overlay without a mount: folders, the mount command, how entries are read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import CommandFailed, LabkitError, NotRoot
from labkit.storage import overlay, views02
from labkit.storage.overlay import OverlayDirs

from .fakes.docker_root import IS_ROOT, whiteout
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.seam import Fakes

needs_root = pytest.mark.skipif(not IS_ROOT, reason="whiteouts and trusted xattrs need root")


def dirs_in(root: Path, lowers: int = 1, upper: bool = True) -> OverlayDirs:
    names = [f"l{n}" for n in range(lowers)] if lowers > 1 else ["lower"]
    for name in [*names, "upper", "work", "merged"]:
        (root / name).mkdir()
    return OverlayDirs(root, tuple(root / n for n in reversed(names)),
                       root / "upper" if upper else None, root / "work" if upper else None,
                       root / "merged")


def test_mount_command_lists_the_top_lowerdir_first(tmp_path: Path) -> None:
    d = dirs_in(tmp_path, lowers=3, upper=False)
    argv = d.mount_argv()
    assert argv[:5] == ["mount", "-t", "overlay", "overlay", "-o"]
    assert argv[5] == f"lowerdir={tmp_path}/l2:{tmp_path}/l1:{tmp_path}/l0"
    assert argv[6] == str(tmp_path / "merged")


def test_mount_command_with_upper_and_work(tmp_path: Path) -> None:
    d = dirs_in(tmp_path)
    assert d.options() == (f"lowerdir={tmp_path}/lower,upperdir={tmp_path}/upper,"
                           f"workdir={tmp_path}/work")
    assert d.lower == tmp_path / "lower"


def test_columns_number_several_lowers_bottom_up(tmp_path: Path) -> None:
    d = dirs_in(tmp_path, lowers=2, upper=False)
    assert list(d.columns()) == ["lowerdir 1 (l0)", "lowerdir 2 (l1)", "merged"]


def test_columns_of_the_lecture_overlay(tmp_path: Path) -> None:
    assert list(dirs_in(tmp_path).columns()) == ["lowerdir", "upperdir", "merged"]


def test_kind_and_describe_plain_entries(tmp_path: Path) -> None:
    (tmp_path / "small").write_text("hello\n")
    (tmp_path / "big").write_bytes(b"x" * 100)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "b").write_text("")
    (tmp_path / "folder" / "a").write_text("")
    os.symlink("small", tmp_path / "link")
    assert overlay.kind(tmp_path / "nothing") == "missing"
    assert overlay.describe(tmp_path / "nothing") == "-"
    assert overlay.describe(tmp_path / "small") == "'hello'"
    assert overlay.describe(tmp_path / "big") == "file, 100 bytes"
    assert overlay.describe(tmp_path / "folder") == "dir [a, b]"
    assert overlay.kind(tmp_path / "link") == "symlink"


@needs_root
def test_whiteout_and_opaque_are_recognised(tmp_path: Path) -> None:
    whiteout(tmp_path / "gone")
    (tmp_path / "opaque").mkdir()
    os.setxattr(tmp_path / "opaque", overlay.OPAQUE_XATTR, b"y")
    (tmp_path / "plain").mkdir()
    assert overlay.kind(tmp_path / "gone") == "whiteout"
    assert overlay.describe(tmp_path / "gone") == "whiteout (c 0,0)"
    assert overlay.is_opaque(tmp_path / "opaque")
    assert not overlay.is_opaque(tmp_path / "plain")
    assert overlay.xattrs(tmp_path / "opaque") == {overlay.OPAQUE_XATTR: "y"}
    assert overlay.describe(tmp_path / "opaque") == "opaque dir []"


@needs_root
def test_make_whiteout_makes_device_0_0(tmp_path: Path) -> None:
    overlay.make_whiteout(tmp_path / "w")
    st = os.lstat(tmp_path / "w")
    assert os.major(st.st_rdev) == 0 and os.minor(st.st_rdev) == 0
    assert overlay.kind(tmp_path / "w") == "whiteout"


def test_views_show_every_name_once_per_folder(tmp_path: Path) -> None:
    d = dirs_in(tmp_path)
    (d.lower / "both").write_text("from lower\n")
    (d.upper / "both").write_text("from upper\n")
    (d.upper / "new").write_text("new\n")
    table = overlay.views(d)
    assert list(table.index) == ["both", "new"]
    assert list(table.columns) == ["lowerdir", "upperdir", "merged"]
    assert table.loc["both", "lowerdir"] == "'from lower'"
    assert table.loc["new", "lowerdir"] == "-"
    assert table.loc["both", "merged"] == "-"  # nothing mounted in a unit test
    assert list(overlay.views(d, only=["new"]).index) == ["new"]


def test_make_demo_writes_the_lecture_files(tmp_path: Path, capsys, fakes) -> None:
    fakes(host=FakeHost({("sh", "-c"): "lower/in_lower.txt:I'm from lower\n"}))
    d = overlay.make_demo(FakeLab(tmp_path))
    assert (d.lower / "in_lower.txt").read_text() == "I'm from lower\n"
    assert (d.upper / "in_both.txt").read_text() == "I'm from upper\n"
    assert (d.lower / "big.log").stat().st_size == overlay.BIG_FILE_BYTES
    assert d.work is not None and d.work.is_dir() and not any(d.merged.iterdir())
    assert "lower/in_lower.txt" in capsys.readouterr().out


@needs_root
def test_make_layers_puts_whiteouts_in_layers(tmp_path: Path) -> None:
    d = overlay.make_layers(FakeLab(tmp_path), {"a": {"f": "1\n"}, "b": {"f": None}})
    assert d.upper is None and d.lowers == (tmp_path / "layers" / "b", tmp_path / "layers" / "a")
    assert overlay.kind(tmp_path / "layers" / "b" / "f") == "whiteout"


def test_ls_lists_each_folder_or_a_name_in_each(tmp_path: Path, fakes: Callable[..., Fakes],
                                               capsys) -> None:
    host = FakeHost({("sh", "-c"): (2, "upper/x\n", "ls: cannot access 'lower/x'\n")},
                    strict=True)
    fakes(host=host)
    d = dirs_in(tmp_path)
    overlay.ls(d)
    shown = overlay.ls(d, "x")
    assert host.calls == [
        ("sh", "-c", f"cd {tmp_path} && ls -l --time-style=+ lower upper merged"),
        ("sh", "-c", f"cd {tmp_path} && ls -l --time-style=+ lower/x upper/x merged/x"),
    ]
    assert not shown.ok, "a missing name is shown, not raised"
    out = capsys.readouterr().out
    assert out.count("ls -l --time-style=+") == 2 and "cannot access 'lower/x'" in out


def test_unmount_runs_umount(tmp_path: Path, fakes: Callable[..., Fakes], capsys) -> None:
    host = FakeHost({("umount",): ""}, strict=True)
    fakes(host=host)
    d = dirs_in(tmp_path)
    overlay.unmount(d)
    assert host.calls == [("umount", str(d.merged))]
    assert capsys.readouterr().out == f"$ umount {d.merged}\n"
    host.answers[("umount",)] = (32, "", "umount: not mounted.")
    with pytest.raises(CommandFailed):
        overlay.unmount(d)


def test_echo_and_open_for_append_run_the_shell_line(tmp_path: Path,
                                                      fakes: Callable[..., Fakes]) -> None:
    host = FakeHost({("sh", "-c"): (2, "", "sh: 1: cannot create: Read-only file system")},
                    strict=True)
    fakes(host=host)
    f = tmp_path / "merged" / "new_file"
    assert not overlay.echo(f, "new file", check=False).ok
    with pytest.raises(CommandFailed):
        overlay.echo(f, "more", append=True)
    with pytest.raises(CommandFailed):
        overlay.open_for_append(f)
    assert host.calls == [("sh", "-c", f'echo "new file" > {f}'),
                          ("sh", "-c", f'echo "more" >> {f}'), ("sh", "-c", f": >> {f}")]
    with pytest.raises(ValueError):
        overlay.echo(f, "$(reboot)")


def test_mount_refusal_becomes_a_hint(tmp_path: Path, fakes: Callable[..., Fakes],
                                      capsys) -> None:
    class Refusing(FakeLab):
        def mount(self, argv, target):
            raise CommandFailed("`mount` failed: wrong fs type", "")

    fakes(root=True)
    d = dirs_in(tmp_path)
    with pytest.raises(LabkitError) as err:
        overlay.mount(Refusing(tmp_path), d)
    assert "refused" in err.value.message and err.value.hint
    assert capsys.readouterr().out.startswith("$ mount -t overlay")


def test_mount_records_through_the_lab(tmp_path: Path, fakes: Callable[..., Fakes]) -> None:
    fakes(root=True)
    lab = FakeLab(tmp_path)
    d = dirs_in(tmp_path)
    overlay.mount(lab, d)
    assert lab.mounts == [d.mount_argv()]


def test_mount_needs_root(tmp_path: Path, fakes: Callable[..., Fakes]) -> None:
    fakes(root=False)
    lab = FakeLab(tmp_path)
    with pytest.raises(NotRoot):
        overlay.mount(lab, dirs_in(tmp_path))
    assert lab.mounts == []


def test_metacopy_default_is_read_from_the_module_parameter(
        fakes: Callable[..., Fakes]) -> None:
    from .fakes.host import FakeHost

    fakes(host=FakeHost(files={overlay.METACOPY_PARAM: "N\n"}))
    assert overlay.metacopy_default() == "N"
    fakes(host=FakeHost(files={}))
    assert overlay.metacopy_default() == ""  # a kernel without the feature


def test_engine_metacopy_comes_from_docker_info() -> None:
    from types import SimpleNamespace

    said = SimpleNamespace(raw={"DriverStatus": [["Backing Filesystem", "extfs"],
                                                 ["Using metacopy", "false"]]})
    assert overlay.engine_metacopy(said) == "false"  # type: ignore[arg-type]
    assert overlay.engine_metacopy(SimpleNamespace(raw={})) == ""  # type: ignore[arg-type]


def test_metacopy_note_says_what_a_chmod_copies() -> None:
    off = views02.metacopy_note("N", "false").splitlines()
    assert off[0].endswith("= N: overlay mounts that do not say otherwise have metacopy off.")
    assert off[1].endswith('reports "Using metacopy: false".') and "whole file" in off[2]
    on = views02.metacopy_note("Y", "")
    assert "metacopy on." in on and "only the inode" in on and "does not report it" in on
    assert "no metacopy feature" in views02.metacopy_note("", "")


@needs_root
def test_a_metadata_only_copy_is_named(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("")
    os.chmod(path, 0o600)
    os.setxattr(path, overlay.METACOPY_XATTR, b"")
    assert overlay.kind(path) == "metadata-only copy"
    assert overlay.describe(path) == "metadata only (600), data below"
