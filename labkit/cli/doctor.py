"""`labkit doctor`: can the course run here? One row per check, each failure with its fix.

Taught in: 00-preflight.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from labkit.base import engine, settings
from labkit.base.facts import EngineFacts, choose_mode, facts_or_none, iptables_variant
from labkit.base.i18n import N_, _
from labkit.cli import provision
from labkit.images import catalog as images
from labkit.images import rootfs

TOOLS = provision.TOOLS  # tool -> Debian packages: one table, owned by labkit.cli.provision
REQUIRED_TOOLS = {"ip", "iptables", "iptables-save", "nsenter", "lsns"}
FIX_TOOLS = N_("run `sudo labkit engine up` (installs the course's missing host tools with apt)")
FIX_BUILDER = (N_("optional: BuildKit needs the docker-buildx plugin (Debian 13 and later: `sudo "
                  "apt-get install docker-buildx`; Docker CE: docker-buildx-plugin); Debian 12 "
                  "has none, and the classic builder is fine for the course"))
# Where chapter 02's layer sections can read a container's folders: the overlay2 graphdriver, or
# the containerd image store with its overlayfs snapshotter (Docker 29's default).
STORES = {("overlay2", "overlay2"), ("containerd", "overlayfs")}
FIX_STORE = (N_("nothing to change here: the other chapters run as they are; for chapter 02's "
                "overlay sections use a machine whose engine keeps Docker's default store (the "
                "containerd image store with overlayfs, or the overlay2 graphdriver)"))

# The machines tools/matrix runs the whole course on; the stored outputs come from the first.
RECORDED_ON = N_("Docker 29.7.2 (containerd image store, iptables firewall backend)")
TESTED_ON = N_("Debian's docker.io 20.10, 26.1 and 28.5 on the overlay2 graphdriver, 28.5 also "
               "on the containerd image store, and Docker 29.7.2 with its defaults and with the "
               "nftables firewall backend")
CGROUP_V1_DEPRECATED = "Support for cgroup v1 is deprecated"


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
    rows = [
        Check(
            _("engine reachable"),
            True,
            _("Docker Engine {server_version}, API {api_version}, {os}").format(
                server_version=f.server_version, api_version=f.api_version, os=f.os
            ),
        )
    ]
    if f.builder == "buildkit":
        rows.append(Check(_("builder"), True, _("BuildKit (daemon offers it, CLI has buildx)")))
    else:
        # Engines from 23 expect buildx (their CLI falls back, with a warning); 20.10 builds
        # classically by default, and the course's lessons work with either builder.
        why = (_("the daemon offers no BuildKit") if f.buildx else
               _("BuildKit needs the docker-buildx plugin, which is not installed; Debian 12 has "
                 "none, and classic is fine for the course"))
        rows.append(
            Check(
                _("builder"),
                f.major < 23 or f.buildx,
                _("classic ({why})").format(why=why),
                _(FIX_BUILDER),
                blocking=False,
            )
        )
    rows.append(storage_row(f))
    detail = f.firewall + (f" (engine: {f.firewall_engine})" if f.firewall_engine else "")
    if f.firewall == "nftables":
        rows.append(Check(_("firewall backend"), True, detail + _(": Docker's rules are in the "
                          "nftables tables ip and ip6 docker-bridges (chapter 03 shows them)")))
    elif f.local and not f.iptables_variant:
        rows.append(Check(_("firewall backend"), False, _("iptables missing"), _(FIX_TOOLS)))
    else:
        rows.append(Check(_("firewall backend"), True, detail))
    rows.append(
        Check(
            _("cgroup version"),
            True,
            _("cgroup v{cgroup_version} (containers' default: --cgroupns {cgroupns})").format(
                cgroup_version=f.cgroup_version, cgroupns=cgroupns_default(f)
            ),
        )
    )
    return rows


def storage_row(f: EngineFacts) -> Check:
    """The storage row (00-preflight): both stores the course reads are simply ok.

    The containerd image store (Docker 29's default) and the overlay2 graphdriver both serve
    chapter 02; the row never asks a learner to switch stores, which would hide their images.
    """
    if f.containerd_store:
        detail = _("containerd image store ({driver} snapshotter)").format(driver=f.storage_driver)
    else:
        detail = _("{storage} graphdriver").format(storage=f.storage)
    if (f.storage, f.storage_driver) in STORES:
        return Check(_("storage"), True, detail)
    return Check(_("storage"), False, detail + _(": chapter 02 reads overlay folders, which this "
                 "store has none of"), _(FIX_STORE), blocking=False)


def cgroupns_default(f: EngineFacts) -> str:
    """Docker's default `--cgroupns` on this engine's host: "private" on cgroup v2, else "host"."""
    return "private" if f.cgroup_version == "2" else "host"


def where_the_course_runs(f: EngineFacts) -> str:
    """Which engines the course is tested on, this engine, and what its host's cgroups change.

    Taught in: 00-preflight, section 2. Everything about this machine is read live (`facts()`:
    `docker info`'s version, store, firewall, cgroup version and warnings).
    """
    store = storage_row(f).detail
    lines = [_("The course is tested on {tested}; the stored outputs were recorded on "
               "{recorded}.").format(tested=_(TESTED_ON), recorded=_(RECORDED_ON)),
             _("This engine: Docker {version}, {store}, firewall {firewall}.").format(
                 version=f.server_version, store=store, firewall=f.firewall),
             _("Its host's kernel uses cgroup v{cgroup}").format(cgroup=f.cgroup_version) + (
                 _(", as the machines the course is recorded on do; most learners' machines (any "
                   "systemd distribution of the last years, Docker Desktop) use cgroup v2.")
                 if f.cgroup_version != "2" else
                 _(", as most machines do today (any systemd distribution of the last years, "
                   "Docker Desktop); the course is recorded on cgroup v1 machines.")),
             _("What differs for the course: on cgroup v2 Docker gives each container a cgroup "
               "namespace of its own by default (--cgroupns private), so it sees its own cgroup "
               "at /sys/fs/cgroup; on cgroup v1 the default is --cgroupns host (chapter 04 "
               "shows it). Here the default is --cgroupns {cgroupns}.").format(
                 cgroupns=cgroupns_default(f))]
    warned = any(CGROUP_V1_DEPRECATED in str(w) for w in f.raw.get("Warnings") or [])
    if warned:
        lines.append(_("This engine warns that its support for cgroup v1 is deprecated "
                       "(Docker 29 and later; moby#51111)."))
    elif f.cgroup_version != "2":
        lines.append(_("Docker 29 and later deprecate cgroup v1 (`docker info` warns); "
                       "Docker {version} does not yet.").format(version=f.server_version))
    return "\n".join(lines)


def checks() -> list[Check]:
    """Run every check and return the rows (nothing is changed)."""
    rows: list[Check] = []
    f = facts_or_none()
    info = None if f is None else f.raw
    mode = choose_mode(info) if f is None else f.host_mode
    if f is None:
        rows.append(
            Check(
                _("engine reachable"),
                False,
                _("no Docker Engine answers"),
                _("run `sudo labkit engine up` (Debian/Ubuntu), or start Docker Desktop"),
            )
        )
        variant = iptables_variant(engine.system())
        rows.append(Check(_("firewall backend"), bool(variant),
                          f"iptables-{variant}" if variant else _("iptables missing"), _(FIX_TOOLS),
                          blocking=mode == "local"))
    else:
        rows += engine_rows(f)
    root_ok = settings.is_root() or mode == "helper"
    rows.append(
        Check(
            _("root on the Docker host"),
            root_ok,
            _("host access: {mode}").format(mode=mode)
            + ("" if settings.is_root() else _(", not root")),
            _("run the course as root: sudo ./course lab"),
        )
    )
    for tool, packages in TOOLS.items():
        found = engine.find_tool(tool)
        rows.append(
            Check(
                _("tool: {tool}").format(tool=tool),
                found is not None or mode == "helper",
                found or _("missing (package {packages})").format(packages=" or ".join(packages)),
                _(FIX_TOOLS),
                blocking=tool in REQUIRED_TOOLS and mode == "local",
            )
        )
    for name in images.RECIPES:
        if info is None:
            rows.append(Check(_("image: {name}").format(name=name), False, _("unknown (no engine)"),
                              _("start the engine first"), blocking=False))
            continue
        st = images.status(name)
        fix = (
            _(
                "rename that image (`docker image tag` it elsewhere, then `docker rmi` this "
                "name); labkit never replaces an image it did not build"
            )
            if st and st.state == "foreign"
            else _("run `labkit images` (builds it here from Debian packages)")
        )
        rows.append(Check(_("image: {name}").format(name=name), bool(st and st.usable),
                          st.source if st else _("missing"), fix, blocking=False))
    foreign = images.foreign_arch()
    cached = (rootfs.cache_dir() / f"busybox-{foreign}" / "busybox").exists()
    rows.append(Check(_("lesson file: busybox for {foreign}").format(foreign=foreign), cached,
                      _("downloaded") if cached else _("missing (chapter 01 needs it)"),
                      _("run `labkit images` (downloads it with this machine's apt sources)"),
                      blocking=False))
    rows.append(
        Check(
            _("offline mode"),
            True,
            _("on: no pull is ever attempted")
            if settings.offline()
            else _("off (course images are built here either way, never pulled)"),
            blocking=False,
        )
    )
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
