"""`labkit doctor`: can the course run here? One row per check, each failure with its fix.

Taught in: 00-preflight.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from labkit.base import engine, provision, settings
from labkit.base.facts import EngineFacts, choose_mode, facts_or_none, iptables_variant
from labkit.images import catalog as images
from labkit.images import rootfs

TOOLS = provision.TOOLS  # tool -> Debian packages: one table, owned by labkit.base.provision
REQUIRED_TOOLS = {"ip", "iptables", "iptables-save", "nsenter", "lsns"}
FIX_TOOLS = "run `sudo labkit engine up` (installs the course's missing host tools with apt)"
FIX_BUILDER = ("optional: BuildKit needs the docker-buildx plugin (Debian 13 and later: "
               "`sudo apt-get install docker-buildx`; Docker CE: docker-buildx-plugin); Debian 12 "
               "has none, and the classic builder is fine for the course")
FIX_STORE = ("chapter 02 takes apart the overlay2 graphdriver: set \"features\": "
             "{\"containerd-snapshotter\": false} in /etc/docker/daemon.json and restart the "
             "engine (images kept in the containerd store are then not visible: run "
             "`labkit images` again)")
FIX_DRIVER = ("chapter 02 takes apart overlay2: set \"storage-driver\": \"overlay2\" in "
              "/etc/docker/daemon.json and restart the engine (images kept by the old driver are "
              "then not visible: run `labkit images` again)")
FIX_NFTABLES = ("chapter 03 reads Docker's rules with iptables: remove \"firewall-backend\": "
                "\"nftables\" from /etc/docker/daemon.json and restart the engine")


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


def engine_rows(f: EngineFacts) -> list[Check]:
    """The rows read from the engine's facts: version, builder, storage, firewall, cgroup.

    Taught in: 00-preflight. Only a missing iptables beside a local engine blocks the course.
    """
    rows = [Check("engine reachable", True,
                  f"Docker Engine {f.server_version}, API {f.api_version}, {f.os}")]
    if f.builder == "buildkit":
        rows.append(Check("builder", True, "BuildKit (daemon offers it, CLI has buildx)"))
    else:
        # Engines from 23 expect buildx (their CLI falls back, with a warning); 20.10 builds
        # classically by default, and the course's lessons work with either builder.
        why = ("the daemon offers no BuildKit" if f.buildx else
               "BuildKit needs the docker-buildx plugin, which is not installed; Debian 12 has "
               "none, and classic is fine for the course")
        rows.append(Check("builder", f.major < 23 or f.buildx, f"classic ({why})", FIX_BUILDER,
                          blocking=False))
    if f.containerd_store:
        rows.append(Check("storage", False, f"containerd image store ({f.storage_driver} "
                          "snapshotter)", FIX_STORE, blocking=False))
    else:
        rows.append(Check("storage", f.storage == "overlay2", f"{f.storage} graphdriver",
                          FIX_DRIVER, blocking=False))
    detail = f.firewall + (f" (engine: {f.firewall_engine})" if f.firewall_engine else "")
    if f.firewall == "nftables":
        rows.append(Check("firewall backend", False, detail, FIX_NFTABLES, blocking=False))
    elif f.local and not f.iptables_variant:
        rows.append(Check("firewall backend", False, "iptables missing", FIX_TOOLS))
    else:
        rows.append(Check("firewall backend", True, detail))
    rows.append(Check("cgroup version", True, f"cgroup v{f.cgroup_version}"))
    return rows


def checks() -> list[Check]:
    """Run every check and return the rows (nothing is changed)."""
    rows: list[Check] = []
    f = facts_or_none()
    info = None if f is None else f.raw
    mode = choose_mode(info) if f is None else f.host_mode
    if f is None:
        rows.append(Check("engine reachable", False, "no Docker Engine answers",
                          "run `sudo labkit engine up` (Debian/Ubuntu), or start Docker Desktop"))
        variant = iptables_variant(engine.system())
        rows.append(Check("firewall backend", bool(variant),
                          f"iptables-{variant}" if variant else "iptables missing", FIX_TOOLS,
                          blocking=mode == "local"))
    else:
        rows += engine_rows(f)
    root_ok = settings.is_root() or mode == "helper"
    rows.append(Check("root on the Docker host", root_ok,
                      f"host access: {mode}" + ("" if settings.is_root() else ", not root"),
                      "run the course as root: sudo ./course lab"))
    for tool, packages in TOOLS.items():
        found = engine.find_tool(tool)
        rows.append(Check(f"tool: {tool}", found is not None or mode == "helper",
                          found or f"missing (package {' or '.join(packages)})", FIX_TOOLS,
                          blocking=tool in REQUIRED_TOOLS and mode == "local"))
    for name in images.RECIPES:
        if info is None:
            rows.append(Check(f"image: {name}", False, "unknown (no engine)",
                              "start the engine first", blocking=False))
            continue
        st = images.status(name)
        fix = ("rename that image (`docker image tag` it elsewhere, then `docker rmi` this name); "
               "labkit never replaces an image it did not build" if st and st.state == "foreign"
               else "run `labkit images` (builds it here from Debian packages)")
        rows.append(Check(f"image: {name}", bool(st and st.usable),
                          st.source if st else "missing", fix, blocking=False))
    foreign = images.foreign_arch()
    cached = (rootfs.cache_dir() / f"busybox-{foreign}" / "busybox").exists()
    rows.append(Check(f"lesson file: busybox for {foreign}", cached,
                      "downloaded" if cached else "missing (chapter 01 needs it)",
                      "run `labkit images` (downloads it with this machine's apt sources)",
                      blocking=False))
    rows.append(Check("offline mode", True, "on: no pull is ever attempted" if settings.offline()
                      else "off (course images are built here either way, never pulled)",
                      blocking=False))
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
