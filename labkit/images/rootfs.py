"""Make root filesystems from Debian packages: debootstrap trees, layer deltas, busybox.

Taught in: 00-preflight (where the course images come from, with no registry).
All downloads use this machine's apt sources or debootstrap's default mirror.
"""

from __future__ import annotations

import functools
import os
import shutil
import stat
import subprocess
from pathlib import Path

from labkit.base import settings
from labkit.base.errors import HostToolMissing, LabkitError
from labkit.base.fmt import Progress
from labkit.base.i18n import _

SUITE = "bookworm"

# Files the engine provides at run time, or that only record the bootstrap itself. The
# alternatives log carries the bootstrap's timestamps: two trees bootstrapped in the same second
# have equal logs, so a delta layer held it or not by chance (165 files or 164 in redis's layer).
TRIM = ("etc/resolv.conf", "etc/hostname", "var/log/bootstrap.log", "var/log/alternatives.log",
        "var/cache/ldconfig/aux-cache")
TRIM_GLOBS = ("var/lib/apt/lists/*_*", "var/cache/apt/archives/*.deb", "var/cache/apt/*.bin")
EMPTY = ("dev", "proc", "sys", "tmp")


def cache_dir() -> Path:
    """Where downloaded packages and rootfs trees are kept between builds."""
    return settings.state_dir() / "cache"


def _run(argv: list[str], what: str) -> None:
    if shutil.which(argv[0]) is None:
        raise HostToolMissing(_("`{tool}` is not installed.").format(tool=argv[0]),
                              _("run `labkit engine up` as root"))
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise LabkitError(_("{what} failed:\n{tail}").format(what=what, tail=tail),
                          _("check this machine's network access to its Debian mirror"))


def deb_cache(name: str = "") -> Path:
    """Where debootstrap keeps downloaded packages: one folder per tree made at the same time.

    Trees made in parallel never share a folder (two downloads of one .deb would race); a
    named folder starts with hard links to the packages of the unnamed (base) one.
    """
    base = cache_dir() / "debs"
    base.mkdir(parents=True, exist_ok=True)
    if not name:
        return base
    own = base / name
    own.mkdir(exist_ok=True)
    for deb in base.glob("*.deb"):
        if not (own / deb.name).exists():
            os.link(deb, own / deb.name)
    return own


def debootstrap(target: Path, packages: tuple[str, ...] = (), progress: Progress = print,
                cache: str = "") -> Path:
    """A minimal Debian bookworm tree (debootstrap minbase) with extra packages, trimmed.

    No mirror is named: debootstrap uses its default, or the one a classroom configures.
    `cache` names the package folder (see deb_cache) when several trees are made at once.
    """
    if target.exists():
        shutil.rmtree(target)
    debs = deb_cache(cache)
    argv = ["debootstrap", "--variant=minbase", f"--cache-dir={debs}"]
    if packages:
        argv.append("--include=" + ",".join(packages))
    progress(f"debootstrap {SUITE}" + (f" with {', '.join(packages)}" if packages else ""))
    _run([*argv, SUITE, str(target)], "debootstrap")
    trim(target)
    return target


def trim(tree: Path, extra: tuple[str, ...] = ()) -> None:
    """Remove what a container image should not carry (apt lists, caches, runtime files).

    Args:
        tree: the root filesystem.
        extra: globs (relative to the tree) of a recipe's own leftovers, files or folders
            (see Recipe.trim: a database's first datadir, its packages' install logs).
    """
    for rel in TRIM:
        (tree / rel).unlink(missing_ok=True)
    for pattern in TRIM_GLOBS:
        for path in tree.glob(pattern):
            path.unlink()
    for pattern in extra:
        if pattern.startswith("/") or ".." in Path(pattern).parts:
            raise ValueError(f"trim pattern {pattern!r} must stay inside the tree")
        for path in sorted(tree.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    for rel in EMPTY:
        folder = tree / rel
        for child in folder.iterdir() if folder.is_dir() else ():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def _same(a: Path, b: Path) -> bool:
    sa, sb = a.lstat(), b.lstat()
    if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
        return False
    if (sa.st_mode, sa.st_uid, sa.st_gid) != (sb.st_mode, sb.st_uid, sb.st_gid):
        return False
    if stat.S_ISLNK(sa.st_mode):
        return os.readlink(a) == os.readlink(b)
    if stat.S_ISREG(sa.st_mode):
        if sa.st_size != sb.st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                ca, cb = fa.read(1 << 20), fb.read(1 << 20)
                if ca != cb:
                    return False
                if not ca:
                    return True
    return True


def delta(base: Path, tree: Path) -> list[str]:
    """Paths in `tree` that are new or changed compared with `base` (relative, sorted).

    This is what an image layer holds: the files a step added or changed.
    """
    changed = []
    for root, dirs, files in os.walk(tree):
        rel_root = os.path.relpath(root, tree)
        for name in [*dirs, *files]:
            rel = os.path.normpath(os.path.join(rel_root, name))
            other = base / rel
            if not other.exists() and not other.is_symlink():
                changed.append(rel)
            elif not _same(tree / rel, other):
                changed.append(rel)
    return sorted(changed)


def make_tar(tree: Path, out: Path, members: list[str] | None = None) -> Path:
    """Tar a tree (or only `members` of it) with numeric owners, for `ADD x.tar /`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = ["tar", "--numeric-owner", "--xattrs", "-C", str(tree), "-cf", str(out)]
    if members is None:
        _run([*argv, "."], "tar")
    else:
        listing = out.with_suffix(".list")
        listing.write_text("\n".join(members) + "\n")
        _run([*argv, "--no-recursion", "-T", str(listing)], "tar")
        listing.unlink()
    return out


@functools.cache
def host_arch() -> str:
    """The Debian architecture of this machine (amd64, arm64, ...), asked of dpkg once."""
    proc = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,  # noqa: S603
                          check=False)
    return proc.stdout.strip() or {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                                            os.uname().machine)


# Where busybox-static puts the binary: newer releases under usr/bin, older ones under bin.
BUSYBOX_PATHS = ("usr/bin/busybox", "bin/busybox")
ELF_PT_INTERP = 3


def find_busybox(tree: Path, package: str = "busybox-static", hint: str = "") -> Path:
    """The busybox binary in an unpacked package or a root filesystem (00-preflight).

    Args:
        tree: the unpacked package (or "/").
        package: what the tree is, for the message.
        hint: what the learner can do when there is none.

    Raises:
        LabkitError: neither usr/bin/busybox nor bin/busybox is there.
    """
    for rel in BUSYBOX_PATHS:
        if (tree / rel).is_file():
            return tree / rel
    searched = " and ".join(str(tree / rel) for rel in BUSYBOX_PATHS)
    raise LabkitError(_("{package} has no busybox where labkit looks ({searched}).").format(
                          package=package, searched=searched),
                      hint or _("see where {package} puts busybox with `dpkg-deb -c`, and tell "
                                "the course authors").format(package=package))


def is_static(path: Path) -> bool:
    """True when an ELF binary names no program interpreter (it needs no shared libraries)."""
    with open(path, "rb") as fh:
        head = fh.read(64)
        if head[:4] != b"\x7fELF" or head[4] not in (1, 2):
            return False
        order = "little" if head[5] == 1 else "big"
        wide = head[4] == 2
        phoff = int.from_bytes(head[32:40] if wide else head[28:32], order)
        entsize = int.from_bytes(head[54:56] if wide else head[42:44], order)
        count = int.from_bytes(head[56:58] if wide else head[44:46], order)
        fh.seek(phoff)
        table = fh.read(entsize * count)
    return all(int.from_bytes(table[i:i + 4], order) != ELF_PT_INTERP
               for i in range(0, len(table) - 3, entsize or 1))


def _host_busybox() -> Path:
    try:
        path = find_busybox(Path("/"))
    except LabkitError as exc:
        raise HostToolMissing(_("busybox-static is not installed (no /usr/bin/busybox, no "
                                "/bin/busybox)."), _("run `sudo labkit engine up`")) from exc
    if not is_static(path):
        # Debian's `busybox` package (often pulled in by initramfs-tools) is linked dynamically
        # and would not run in an image that has no C library.
        raise LabkitError(_("{path} is linked dynamically (Debian's busybox package).").format(
                              path=path),
                          _("install the static one instead: `sudo apt-get install "
                            "busybox-static`"))
    return path


def busybox_binary(arch: str | None = None, progress: Progress = print) -> Path:
    """A static busybox for `arch` (default: this machine's), from Debian's busybox-static.

    Taught in: 00-preflight (course images), 01-building-images (another architecture's).
    This machine's own comes from the installed package; another architecture's is downloaded
    once with apt (this machine's sources, a private package list) and kept in the cache.

    Raises:
        HostToolMissing: busybox-static is not installed here.
        LabkitError: the download failed, or the package holds no busybox where expected.
    """
    arch = arch or host_arch()
    if arch == host_arch():
        return _host_busybox()
    out = cache_dir() / f"busybox-{arch}" / "busybox"
    if out.exists():
        return out
    work = cache_dir() / f"apt-{arch}"
    for sub in ("lists/partial", "archives/partial", "download"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    opts = ["-q", "-o", f"APT::Architecture={arch}", "-o", f"APT::Architectures::={arch}",
            "-o", f"Dir::State::Lists={work / 'lists'}", "-o", f"Dir::Cache={work}",
            "-o", "Dir::State::status=/dev/null", "-o", "APT::Sandbox::User=root"]
    progress(_("downloading busybox-static for {arch} (apt, this machine's sources)").format(
                 arch=arch))
    _run(["apt-get", *opts, "update"], "apt-get update")
    proc = subprocess.run(["apt-get", *opts, "download", "busybox-static"],  # noqa: S603
                          cwd=work / "download", capture_output=True, text=True, check=False)
    debs = sorted((work / "download").glob("busybox-static_*.deb"))
    if proc.returncode != 0 or not debs:
        raise LabkitError(_("Could not download busybox-static for {arch}: {stderr}").format(
                              arch=arch, stderr=proc.stderr.strip()),
                          _("check this machine's apt sources"))
    unpacked = work / "unpacked"
    _run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], "dpkg-deb")
    found = find_busybox(unpacked, f"busybox-static for {arch} ({debs[-1].name})",
                         _("copy a static busybox for {arch} to {out}, then try again").format(
                             arch=arch, out=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found, out)
    shutil.rmtree(work)
    return out


def package_version(package: str, tree: Path | None = None) -> str:
    """The installed version of a Debian package (in `tree`, or on this machine)."""
    argv = ["dpkg-query", "-W", "-f=${Version}", package]
    if tree is not None:
        argv[1:1] = [f"--admindir={tree / 'var/lib/dpkg'}"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    return proc.stdout.strip() or "?"
