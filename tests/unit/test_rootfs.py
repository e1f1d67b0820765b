from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.images import rootfs


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_delta_holds_new_and_changed_files_only(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", {"etc/a": "1", "etc/b": "2", "usr/c": "3"})
    new = _tree(tmp_path / "new", {"etc/a": "1", "etc/b": "changed", "usr/c": "3",
                                   "usr/share/nginx/index.html": "hi"})
    os.symlink("a", base / "etc/link")
    os.symlink("b", new / "etc/link")
    (new / "usr/c").chmod(0o755)
    assert rootfs.delta(base, new) == ["etc/b", "etc/link", "usr/c", "usr/share",
                                       "usr/share/nginx", "usr/share/nginx/index.html"]


def test_identical_trees_have_an_empty_delta(tmp_path: Path) -> None:
    files = {"bin/sh": "x", "etc/passwd": "root"}
    assert rootfs.delta(_tree(tmp_path / "a", files), _tree(tmp_path / "b", files)) == []


def test_trim_removes_runtime_files_and_apt_lists(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"etc/resolv.conf": "nameserver 10.0.0.1", "etc/hostname": "x",
                            "var/lib/apt/lists/deb.debian.org_dists_bookworm_Release": "r",
                            "var/lib/apt/lists/lock": "", "var/cache/apt/pkgcache.bin": "b",
                            "tmp/junk/file": "j", "etc/keep": "k",
                            "var/log/alternatives.log": "update-alternatives 2026-12-02 04:41:",
                            "var/log/dpkg.log": "kept: what the packages did"})
    (tree / "var/lib/apt/lists/partial").mkdir()
    rootfs.trim(tree)
    left = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    assert left == ["etc/keep", "var/lib/apt/lists/lock", "var/log/dpkg.log"]
    assert (tree / "var/lib/apt/lists/partial").is_dir()


def test_trim_removes_a_recipes_own_leftovers_files_and_folders(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {"var/lib/mysql/mysql/user.frm": "u", "var/lib/mysql/ibdata1": "i",
                            "var/log/dpkg.log": "2026-12-02 07:40:01 install mariadb-server",
                            "usr/share/doc/mariadb-server/copyright": "c",
                            "usr/share/mysql/english/errmsg.sys": "kept", "run/mysqld/x": ""})
    rootfs.trim(tree, ("var/lib/mysql/*", "run/mysqld", "var/log/dpkg.log", "usr/share/doc/*"))
    left = sorted(str(p.relative_to(tree)) for p in tree.rglob("*"))
    # the folders stay (their owner and mode are the package's), their contents go
    assert left == ["run", "usr", "usr/share", "usr/share/doc", "usr/share/mysql",
                    "usr/share/mysql/english", "usr/share/mysql/english/errmsg.sys", "var",
                    "var/lib", "var/lib/mysql", "var/log"]


@pytest.mark.parametrize("pattern", ["/etc/passwd", "../outside", "var/../../outside"])
def test_trim_patterns_stay_inside_the_tree(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(ValueError, match="inside the tree"):
        rootfs.trim(tmp_path, (pattern,))


@pytest.mark.parametrize("layout", ["usr/bin/busybox", "bin/busybox"])
def test_busybox_is_found_in_new_and_old_package_layouts(tmp_path: Path, layout: str) -> None:
    unpacked = _tree(tmp_path, {layout: "\x7fELF", "usr/share/doc/busybox-static/copyright": ""})
    assert rootfs.find_busybox(unpacked) == unpacked / layout


def test_a_package_without_busybox_says_where_labkit_looked(tmp_path: Path) -> None:
    unpacked = _tree(tmp_path, {"usr/share/doc/busybox-static/copyright": ""})
    with pytest.raises(LabkitError) as caught:
        rootfs.find_busybox(unpacked, "busybox-static for arm64", "copy one to the cache")
    message = caught.value.message
    assert "busybox-static for arm64" in message
    assert str(unpacked / "usr/bin/busybox") in message and str(unpacked / "bin/busybox") in message
    assert caught.value.hint == "copy one to the cache"


def _elf64(tmp_path: Path, interp: bool) -> Path:
    # A minimal little-endian ELF64 header with one program header (PT_LOAD or PT_INTERP).
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    header[32:40] = (64).to_bytes(8, "little")
    header[54:56] = (56).to_bytes(2, "little")
    header[56:58] = (1).to_bytes(2, "little")
    phdr = bytearray(56)
    phdr[:4] = (3 if interp else 1).to_bytes(4, "little")
    path = tmp_path / ("dynamic" if interp else "static")
    path.write_bytes(bytes(header + phdr))
    return path


def test_only_a_static_busybox_will_do(tmp_path: Path) -> None:
    assert rootfs.is_static(_elf64(tmp_path, interp=False))
    assert not rootfs.is_static(_elf64(tmp_path, interp=True))
    assert not rootfs.is_static(Path(sys.executable).resolve())  # CPython: linked dynamically
