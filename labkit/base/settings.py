"""Settings read from the environment: offline mode, where labkit keeps its state.

Taught in: 00-preflight (offline mode). Nothing here changes the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

OFFLINE_VAR = "LABKIT_OFFLINE"
STATE_VAR = "LABKIT_STATE_DIR"
HOST_MODE_VAR = "LABKIT_HOST_MODE"

_TRUE = {"1", "true", "yes", "on"}


def offline() -> bool:
    """True when no pull may be attempted (LABKIT_OFFLINE=1; on in CI and tests).

    Returns:
        Whether offline mode is on.
    """
    return os.environ.get(OFFLINE_VAR, "").strip().lower() in _TRUE


_root: bool | None = None  # set by use_root (the unit tests' seam)


def is_root() -> bool:
    """True when this process runs as root (or as `use_root` says)."""
    if _root is not None:
        return _root
    return hasattr(os, "geteuid") and os.geteuid() == 0


def use_root(root: bool | None) -> bool | None:
    """Make `is_root()` answer ROOT from now on; None asks the process again (00-preflight).

    The unit tests' seam: `require_root()` and the state folder ask `is_root()`, so a test
    fakes root (or its absence) once, for every module.

    Returns:
        The previous override, or None when there was none.
    """
    global _root
    previous, _root = _root, root
    return previous


def state_dir() -> Path:
    """Where labkit keeps its ledger, caches and build folders (not created here).

    LABKIT_STATE_DIR wins; otherwise /var/lib/labkit for root and
    $XDG_STATE_HOME/labkit (or ~/.local/state/labkit) for anyone else.
    """
    explicit = os.environ.get(STATE_VAR)
    if explicit:
        return Path(explicit)
    if is_root():
        return Path("/var/lib/labkit")
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "labkit"


def host_mode() -> str:
    """How host commands run: "auto" (default), "local" or "helper" (LABKIT_HOST_MODE)."""
    mode = os.environ.get(HOST_MODE_VAR, "auto").strip().lower()
    return mode if mode in {"auto", "local", "helper"} else "auto"
