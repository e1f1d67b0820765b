"""`labkit doctor`: can the course run here? One row per check, each failure with its fix.

Taught in: 00-preflight.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass

import pandas as pd

from . import engine, images, rootfs, settings
from .host import choose_mode

TOOLS = {
    "docker": "the docker CLI (docker.io)",
    "ip": "iproute2",
    "bridge": "iproute2",
    "iptables": "iptables",
    "iptables-save": "iptables",
    "brctl": "bridge-utils",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "lsns": "util-linux",
    "debootstrap": "debootstrap",
    "busybox": "busybox-static",
}
REQUIRED_TOOLS = {"ip", "iptables", "iptables-save", "nsenter", "lsns"}
FIX_TOOLS = "run `sudo labkit engine up` (installs the course's host tools with apt)"


@dataclass(frozen=True)
class Check:
    """One row of the doctor's table."""

    check: str
    ok: bool
    detail: str
    fix: str = ""
    blocking: bool = True

    @property
    def status(self) -> str:
        """"ok", "FAIL" (the course cannot run) or "warn"."""
        return "ok" if self.ok else ("FAIL" if self.blocking else "warn")


def _iptables_backend() -> str:
    if shutil.which("iptables") is None:
        return ""
    out = subprocess.run(["iptables", "--version"], capture_output=True, text=True,  # noqa: S603
                         check=False).stdout
    return "nf_tables" if "nf_tables" in out else ("legacy" if "legacy" in out else out.strip())


def checks() -> list[Check]:
    """Run every check and return the rows (nothing is changed)."""
    rows: list[Check] = []
    info = engine.engine_info_or_none()
    if info is None:
        rows.append(Check("engine reachable", False, "no Docker Engine answers",
                          "run `sudo labkit engine up` (Debian/Ubuntu), or start Docker Desktop"))
    else:
        s = engine.summary()
        rows.append(Check("engine reachable", True, f"Docker Engine {s.server_version}, "
                          f"API {s.api_version}, {s.os}"))
        rows.append(Check("storage driver", s.storage_driver == "overlay2", s.storage_driver,
                          "chapter 02 needs overlay2; set \"storage-driver\": \"overlay2\"",
                          blocking=False))
        rows.append(Check("cgroup version", True, f"cgroup v{s.cgroup_version}"))
    mode = choose_mode(info)
    root_ok = settings.is_root() or mode == "helper"
    rows.append(Check("root on the Docker host", root_ok,
                      f"host access: {mode}" + ("" if settings.is_root() else ", not root"),
                      "run the course as root: sudo ./course lab"))
    backend = _iptables_backend()
    rows.append(Check("iptables backend", bool(backend), backend or "iptables missing", FIX_TOOLS,
                      blocking=mode == "local"))
    for tool, package in TOOLS.items():
        found = shutil.which(tool)
        rows.append(Check(f"tool: {tool}", found is not None or mode == "helper",
                          found or f"missing ({package})", FIX_TOOLS,
                          blocking=tool in REQUIRED_TOOLS and mode == "local"))
    for name in images.RECIPES:
        if info is None:
            rows.append(Check(f"image: {name}", False, "unknown (no engine)",
                              "start the engine first", blocking=False))
            continue
        st = images.status(name)
        rows.append(Check(f"image: {name}", st is not None,
                          st.source if st else "missing",
                          "run `labkit images` (builds it here if no registry answers)",
                          blocking=False))
    foreign = images.foreign_arch()
    cached = (rootfs.cache_dir() / f"busybox-{foreign}" / "busybox").exists()
    rows.append(Check(f"lesson file: busybox for {foreign}", cached,
                      "downloaded" if cached else "missing (chapter 01 needs it)",
                      "run `labkit images` (downloads it with this machine's apt sources)",
                      blocking=False))
    rows.append(Check("offline mode", True, "on: no pull is ever attempted" if settings.offline()
                      else "off: missing images may be pulled", blocking=False))
    return rows


def can_run(rows: list[Check]) -> bool:
    """True when no blocking check failed."""
    return all(r.ok or not r.blocking for r in rows)


def table(rows: list[Check] | None = None) -> pd.DataFrame:
    """The checks as a table with columns check, status, detail, fix."""
    rows = checks() if rows is None else rows
    frame = pd.DataFrame([{**asdict(r), "status": r.status} for r in rows])
    frame["fix"] = [r.fix if not r.ok else "" for r in rows]
    return frame[["check", "status", "detail", "fix"]]
