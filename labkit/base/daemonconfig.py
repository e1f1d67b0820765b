"""How the running dockerd was configured: its daemon.json, its flags and its DOCKER_* variables.

Taught in: 00-preflight. The stored outputs were recorded on a dockerd with its defaults. A
learner's own settings (`"userland-proxy": false`, `"iptables": false`, a `bip`, ...) change
what the chapters print, so the notebook tests compare outputs only where these settings match
the recording's, and the engine tests ask `facts().daemon` what to expect.
"""

from __future__ import annotations

import json
from typing import Any

from labkit.base.engine import System

PIDFILE = "/var/run/docker.pid"
CONFIG = "/etc/docker/daemon.json"

# Flags that change nothing a chapter prints: where dockerd listens and logs, which containerd
# it uses (Docker CE's unit: `dockerd -H fd:// --containerd=/run/containerd/containerd.sock`).
QUIET = frozenset({"H", "host", "containerd", "pidfile", "p", "debug", "D", "log-level", "l",
                   "config-file", "log-format", "hosts"})

# The daemon's environment is read only for the variables that change what it does.
ENV_PREFIX = "DOCKER_"
ENV_QUIET = frozenset({"DOCKER_HOST", "DOCKER_CONFIG"})


def parse_flags(argv: list[str]) -> dict[str, str]:
    """dockerd's flags as {name: value} (`--iptables=false`, `--bip 10.0.0.1/24`, `--debug`).

    Repeated flags (`--dns a --dns b`) keep every value, joined by commas.
    """
    flags: dict[str, str] = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        if not eq:
            if i < len(args) and not args[i].startswith("-"):
                value, i = args[i], i + 1
            else:
                value = "true"
        flags[name] = f"{flags[name]},{value}" if name in flags else value
    return flags


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A daemon.json as flat keys: {"features": {"containerd-snapshotter": true}} becomes
    {"features.containerd-snapshotter": "true"}."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = json.dumps(value) if not isinstance(value, str) else value
    return flat


def settings_of(argv: list[str], config_text: str, environ: dict[str, str]) -> dict[str, str]:
    """The daemon's own settings, from its command line, its config file and its environment.

    Args:
        argv: dockerd's command line.
        config_text: the text of its config file ("" when there is none).
        environ: its environment.

    Returns:
        {setting: value}, without the settings that change nothing a chapter prints; {} for a
        dockerd with its defaults. A config file that is not JSON gives {"daemon.json": "?"}.
    """
    found = {k: v for k, v in parse_flags(argv).items() if k not in QUIET}
    if config_text.strip():
        try:
            found.update({k: v for k, v in flatten(json.loads(config_text)).items()
                          if k not in QUIET})
        except (ValueError, AttributeError):
            found["daemon.json"] = "?"
    found.update({k: v for k, v in environ.items()
                  if k.startswith(ENV_PREFIX) and k not in ENV_QUIET})
    return dict(sorted(found.items()))


def _environ(text: str) -> dict[str, str]:
    pairs = (item.partition("=") for item in text.split("\0") if "=" in item)
    return {k: v for k, _ignored, v in pairs}


def read(system: System) -> dict[str, str] | None:
    """The running dockerd's settings on this machine (00-preflight), or None when they cannot be
    read (no pidfile, the engine runs elsewhere, or not root)."""
    pid = system.read_text(PIDFILE).strip()
    if not pid.isdigit():
        return None
    argv = [a for a in system.read_text(f"/proc/{pid}/cmdline").split("\0") if a]
    if not argv or not argv[0].endswith("dockerd"):
        return None
    config = parse_flags(argv).get("config-file", CONFIG)
    return settings_of(argv, system.read_text(config),
                       _environ(system.read_text(f"/proc/{pid}/environ")))


def describe(settings: dict[str, str] | None) -> str:
    """One word or a short list for people and for the strictness profile: "defaults",
    "unknown", or "iptables=false,userland-proxy=false" (no spaces: it is one field of the
    tests' `labkit engine:` line)."""
    if settings is None:
        return "unknown"
    return ",".join(f"{k}={v}".replace(" ", "") for k, v in settings.items()) or "defaults"
