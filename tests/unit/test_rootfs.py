from __future__ import annotations

import os
from pathlib import Path

from labkit import rootfs


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
                            "tmp/junk/file": "j", "etc/keep": "k"})
    (tree / "var/lib/apt/lists/partial").mkdir()
    rootfs.trim(tree)
    left = sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file())
    assert left == ["etc/keep", "var/lib/apt/lists/lock"]
    assert (tree / "var/lib/apt/lists/partial").is_dir()
