"""The `docker` command line each `Lab` call runs: the line a cell prints is the line that runs.

Taught in: 00-preflight (the first `lab.run`), shown by every chapter's `lab.*` calls.

Two options every lesson object gets are in the line too, after the lesson's own: the
`--label io.labkit.*` flags (how cleanup finds what a lesson made) and, on a container,
`--dns 127.0.0.1` (a name Docker cannot answer itself goes nowhere). 00-preflight explains them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _command(command: str | Sequence[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _pairs(value: Mapping[str, Any] | Sequence[str]) -> list[str]:
    if isinstance(value, Mapping):
        return [f"{k}={v}" for k, v in value.items()]
    return [str(v) for v in value]


def label_flags(labels: Mapping[str, str]) -> list[str]:
    """`--label KEY=VALUE` for each label."""
    return [x for k, v in labels.items() for x in ("--label", f"{k}={v}")]


def run_argv(image: str, command: str | Sequence[str] | None, *, name: str | None = None,
             flags: Sequence[str] = (), labels: Mapping[str, str] | None = None,
             dns: Sequence[str] = (), detach: bool = True, remove: bool = False) -> list[str]:
    """`docker run ...` for a `Lab.run` call, exactly as it runs.

    Args:
        image, command, name: as given to `docker run`.
        flags: the options as typed (checked by `labkit.lab.flags.run_flags`), in the line as
            they are.
        labels, dns: labkit's own options, after the typed ones (`--label`, `--dns`).
        detach: `-d`; remove: `--rm`.

    Returns:
        The argument list, `docker` first.
    """
    argv = ["docker", "run"] + (["-d"] if detach else []) + (["--rm"] if remove else [])
    if name:
        argv += ["--name", name]
    argv += list(flags)
    argv += label_flags(labels or {})
    argv += [x for server in dns for x in ("--dns", str(server))]
    return argv + [image] + _command(command)


def network_argv(name: str, *, subnet: str | None = None, ip_range: str | None = None,
                 gateway: str | None = None, host_binding: str | None = None,
                 driver: str = "bridge", labels: Mapping[str, str] | None = None) -> list[str]:
    """`docker network create ...` for a `Lab.network` call, exactly as it runs."""
    argv = ["docker", "network", "create"]
    if driver != "bridge":
        argv += ["--driver", driver]
    for flag, value in (("--subnet", subnet), ("--ip-range", ip_range), ("--gateway", gateway)):
        if value:
            argv += [flag, value]
    if host_binding:
        argv += ["-o", f"com.docker.network.bridge.host_binding_ipv4={host_binding}"]
    return argv + label_flags(labels or {}) + [name]


def volume_argv(name: str, labels: Mapping[str, str] | None = None) -> list[str]:
    """`docker volume create ... NAME` for a `Lab.volume` call, exactly as it runs."""
    return ["docker", "volume", "create", *label_flags(labels or {}), name]


def build_argv(context: str | Path, tag: str, *, dockerfile: str | None = None,
               platform: str | None = None,
               buildargs: Mapping[str, str] | None = None, builder: str | None = None,
               no_cache: bool = False, extra: Sequence[str] = ()) -> list[str]:
    """`docker build -t TAG [-f FILE] [--platform P] [EXTRA] CONTEXT`, exactly as it runs.

    Args:
        builder: "buildkit" for `docker buildx build --progress=plain` (01-building-images);
            None or "classic" for `docker build` (with DOCKER_BUILDKIT=0 in its environment
            where that is BuildKit: `clibuild.CLASSIC_ENV`).
        no_cache: `--no-cache`.
        extra: the course's own options, last before the context (`clibuild.course_options`).
    """
    if builder == "buildkit":
        argv = ["docker", "buildx", "build", "--progress=plain"]
    else:
        argv = ["docker", "build"]
    if no_cache:
        argv.append("--no-cache")
    argv += ["-t", tag]
    if dockerfile:
        argv += ["-f", dockerfile]
    argv += [x for pair in _pairs(buildargs or {}) for x in ("--build-arg", pair)]
    if platform:
        argv += ["--platform", platform]
    return argv + list(extra) + [str(context)]


def tag_argv(image: str, ref: str) -> list[str]:
    """`docker tag IMAGE REF` for a `Lab.tag` call."""
    return ["docker", "tag", image, ref]
