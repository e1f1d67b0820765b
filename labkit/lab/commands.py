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

# SDK keyword -> the `docker run` flag that takes its value.
RUN_VALUE_FLAGS = {
    "network": "--network",
    "network_mode": "--network",
    "hostname": "--hostname",
    "user": "--user",
    "working_dir": "--workdir",
    "pid_mode": "--pid",
    "ipc_mode": "--ipc",
    "uts_mode": "--uts",
    "userns_mode": "--userns",
    "mem_limit": "--memory",
    "entrypoint": "--entrypoint",
}
# SDK keyword -> the `docker run` switch it turns on.
RUN_SWITCHES = {
    "remove": "--rm",
    "privileged": "--privileged",
    "publish_all_ports": "-P",
    "read_only": "--read-only",
    "init": "--init",
    "stdin_open": "-i",
    "tty": "-t",
}


def _command(command: str | Sequence[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _port(container_port: str, binding: Any) -> str:
    port = container_port.removesuffix("/tcp")
    if binding is None:
        return f"127.0.0.1::{port}"
    if isinstance(binding, tuple):
        address, host_port = binding[0], (binding[1] if len(binding) > 1 else None)
        return f"{address}:{'' if host_port is None else host_port}:{port}"
    return f"{binding}:{port}"


def _pairs(value: Mapping[str, Any] | Sequence[str]) -> list[str]:
    if isinstance(value, Mapping):
        return [f"{k}={v}" for k, v in value.items()]
    return [str(v) for v in value]


def _links(value: Mapping[str, Any] | Sequence[str]) -> list[str]:
    """`--link NAME:ALIAS`, or `--link NAME` when the alias is the name (Docker's short form)."""
    if not isinstance(value, Mapping):
        return [str(v) for v in value]
    return [str(k) if str(k) == str(v) else f"{k}:{v}" for k, v in value.items()]


def label_flags(labels: Mapping[str, str]) -> list[str]:
    """`--label KEY=VALUE` for each label."""
    return [x for k, v in labels.items() for x in ("--label", f"{k}={v}")]


def run_argv(image: str, command: str | Sequence[str] | None, *, name: str | None,
             ports: Mapping[str, Any] | None, detach: bool,
             options: Mapping[str, Any]) -> list[str]:
    """`docker run ...` for a `Lab.run` call, exactly as it runs.

    Args:
        image, command, name: as given to `docker run`.
        ports: the published ports, already bound to 127.0.0.1 (`Lab.run` does that).
        detach: `-d`.
        options: the other keywords (labels and dns among them; `flags`: words typed as they
            are, a learner's answer checked by `labkit.lab.flags.learner_flags`).

    Returns:
        The argument list, `docker` first.
    """
    argv = ["docker", "run"] + (["-d"] if detach else [])
    if name:
        argv += ["--name", name]
    options = dict(options)
    labels = options.pop("labels", None) or {}
    dns = options.pop("dns", None) or []
    argv += list(options.pop("flags", None) or [])  # a learner's own, checked (lab.flags)
    for key, value in options.items():
        if value is None or value is False:
            continue
        if key in RUN_VALUE_FLAGS:
            argv += [RUN_VALUE_FLAGS[key], str(value)]
        elif key in RUN_SWITCHES:
            argv.append(RUN_SWITCHES[key])
        elif key == "environment":
            argv += [x for pair in _pairs(value) for x in ("-e", pair)]
        elif key == "links":
            argv += [x for pair in _links(value) for x in ("--link", pair)]
        elif key == "cap_add":
            argv += [x for cap in value for x in ("--cap-add", cap)]
        elif key == "sysctls":
            argv += [x for pair in _pairs(value) for x in ("--sysctl", pair)]
        else:
            raise ValueError(f"Lab.run: no `docker run` flag is known for {key}=; add it to "
                             "labkit/lab/commands.py so the cell can show it")
    for container_port, binding in (ports or {}).items():
        for each in binding if isinstance(binding, list) else [binding]:
            argv += ["-p", _port(container_port, each)]
    argv += label_flags(labels)
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
