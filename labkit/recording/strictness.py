"""What engine the notebooks' stored outputs were recorded on; strict or lax on this one.

The stored outputs are the answer key, recorded on one engine (the notebook's
`metadata.labkit.recorded_on`, which tools/execute_notebook.py writes). On an engine of the same
kind (release, storage, builder, firewall, cgroup version, daemon settings) nbval compares every
output (strict). On any other engine every cell must still run and every assertion hold, twice,
with no trace, but outputs are not compared (nbval's lax mode): what a cell prints there is that
engine's own truth, which the text explains. `LABKIT_NBVAL=strict` or `=lax` overrides the choice.

Named for the question it answers (how strict is this engine's run); the profile is its input.
Used by tools/execute_notebook.py, tools/nbval, tools/bench and the notebook tests; no notebook.
It lives in labkit, not tests/, because the tools import it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# The checkout this labkit runs from: the tools and the notebook tests run from one (editable
# install), and nbval needs its sanitizer rules and root directory.
ROOT = Path(__file__).resolve().parents[2]
SANITIZE = ROOT / "tests" / "sanitize.cfg"

# What makes two engines print the same outputs: the release, its image store, builder,
# firewall backend and cgroup version, and the daemon's own settings (a learner's
# `"userland-proxy": false` changes the NAT rules chapter 03 prints).
KEYS = ("release", "storage", "builder", "firewall", "cgroup", "daemon")

# Recordings made before the daemon's settings were recorded all ran on the dockerd that
# `labkit engine up` starts, which has none.
RECORDED_DEFAULTS = {"daemon": "defaults"}


def live_profile() -> dict[str, str]:
    """The engine profile the notebooks would be recorded on here."""
    from labkit.base.daemonconfig import describe as describe_daemon
    from labkit.base.facts import facts

    f = facts()
    return {"version": f.server_version, "release": f"{f.major}.{f.minor}",
            "storage": f.storage, "builder": f.builder, "firewall": f.firewall,
            "cgroup": f.cgroup_version, "daemon": describe_daemon(f.daemon)}


def describe(profile: dict[str, str]) -> str:
    """One line for people: `Docker 28.5.2, overlay2, buildkit builder, cgroup v1`."""
    if not profile:
        return "an unrecorded engine"
    return (f"Docker {profile.get('version', '?')}, {profile.get('storage', '?')} storage, "
            f"{profile.get('builder', '?')} builder, {profile.get('firewall', '?')} firewall, "
            f"cgroup v{profile.get('cgroup', '?')}, daemon settings: "
            f"{profile.get('daemon', 'defaults')}")


def recorded_profile(notebook: Path) -> dict[str, str]:
    """The engine profile a notebook's stored outputs were recorded on ({} if unknown)."""
    meta = json.loads(notebook.read_text()).get("metadata", {})
    recorded = dict(meta.get("labkit", {}).get("recorded_on", {}))
    return {**RECORDED_DEFAULTS, **recorded} if recorded else {}


@dataclass(frozen=True)
class Mode:
    """How one notebook is checked, and why."""

    strict: bool
    reason: str

    @property
    def word(self) -> str:
        """"strict" or "lax"."""
        return "strict" if self.strict else "lax"


def mode(notebook: Path, live: dict[str, str] | None = None) -> Mode:
    """Strict when the live engine is of the kind the outputs were recorded on."""
    forced = os.environ.get("LABKIT_NBVAL", "").strip().lower()
    recorded = recorded_profile(notebook)
    live = live if live is not None else live_profile()
    if forced in ("strict", "lax"):
        return Mode(forced == "strict", f"LABKIT_NBVAL={forced}")
    if recorded and all(recorded.get(k) == live.get(k) for k in KEYS):
        return Mode(True, f"this engine is of the kind the outputs were recorded on "
                          f"({describe(recorded)})")
    differs = [f"{k} ({live.get(k, '?')})" for k in KEYS if recorded.get(k) != live.get(k)]
    return Mode(False, f"the outputs were recorded on {describe(recorded)}; this engine differs "
                       f"in {', '.join(differs)}: every cell runs and its assertions hold, "
                       "outputs are not compared")


def nbval_argv(notebook: Path, live: dict[str, str] | None = None) -> tuple[list[str], Mode]:
    """The one nbval command line (tests, tools/nbval, tools/bench) and how strict it is."""
    how = mode(notebook, live)
    # LABKIT_CELL_ERRORS=fail: a cell that shows a LabkitError fails (labkit.base.errors).
    argv = ["env", "LABKIT_CELL_ERRORS=fail", sys.executable, "-m", "pytest",
            "-p", "no:cacheprovider", "--nbval", str(notebook),
            "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE),
            "--nbval-cell-timeout", "900", "-q", "-o", "addopts=", "--rootdir", str(ROOT)]
    if not how.strict:
        argv.append("--nbval-lax")
    return argv, how
