"""The `docker` command line each `Lab` call stands for, so a cell shows Docker, not labkit.

Taught in: 00-preflight (the first `lab.run`), shown by every chapter's `lab.*` calls.

Two options every lesson container gets are left out of the line, because they are the
course's bookkeeping and its safety net, not the lesson: `--label io.labkit.*` (how cleanup
finds what a lesson made) and `--dns 127.0.0.1` (a name Docker cannot answer itself goes
nowhere). A lesson that sets `dns=` itself sees it in the line.
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
# Keywords the line leaves out on purpose (see the module docstring).
NOT_SHOWN = {"labels"}


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


def run_argv(image: str, command: str | Sequence[str] | None, *, name: str | None,
             ports: Mapping[str, Any] | None, detach: bool, dns_default: bool,
             options: Mapping[str, Any]) -> list[str]:
    """`docker run ...` for a `Lab.run` call.

    Args:
        image, command, name: as given to `docker run`.
        ports: the published ports, already bound to 127.0.0.1 (`Lab.run` does that).
        detach: `-d`.
        dns_default: True when `--dns 127.0.0.1` is the course's default (not shown).
        options: the other SDK keywords.

    Returns:
        The argument list, `docker` first.
    """
    argv = ["docker", "run"] + (["-d"] if detach else [])
    if name:
        argv += ["--name", name]
    for key, value in options.items():
        if key in NOT_SHOWN or value is None or value is False:
            continue
        if key == "dns":
            if not dns_default:
                argv += [x for server in value for x in ("--dns", str(server))]
        elif key in RUN_VALUE_FLAGS:
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
    return argv + [image] + _command(command)


def network_argv(name: str, *, subnet: str | None, host_binding: str | None,
                 driver: str) -> list[str]:
    """`docker network create ...` for a `Lab.network` call."""
    argv = ["docker", "network", "create"]
    if driver != "bridge":
        argv += ["--driver", driver]
    if subnet:
        argv += ["--subnet", subnet]
    if host_binding:
        argv += ["-o", f"com.docker.network.bridge.host_binding_ipv4={host_binding}"]
    return argv + [name]


def volume_argv(name: str) -> list[str]:
    """`docker volume create NAME` for a `Lab.volume` call."""
    return ["docker", "volume", "create", name]


def build_argv(context: str | Path, tag: str, *, dockerfile: str | None = None,
               platform: str | None = None,
               buildargs: Mapping[str, str] | None = None, builder: str | None = None,
               no_cache: bool = False, env: Mapping[str, str] | None = None) -> list[str]:
    """`docker build -t TAG [-f FILE] [--platform P] CONTEXT` for a `Lab.build` call.

    Args:
        builder: "buildkit" for `docker buildx build --progress=plain` (01-building-images);
            None or "classic" for `docker build`.
        no_cache: `--no-cache`.
        env: variables the shell line sets first, e.g. {"DOCKER_BUILDKIT": "0"}.
    """
    prefix = [f"{k}={v}" for k, v in (env or {}).items()]
    if builder == "buildkit":
        argv = [*prefix, "docker", "buildx", "build", "--progress=plain"]
    else:
        argv = [*prefix, "docker", "build"]
    if no_cache:
        argv.append("--no-cache")
    argv += ["-t", tag]
    if dockerfile:
        argv += ["-f", dockerfile]
    argv += [x for pair in _pairs(buildargs or {}) for x in ("--build-arg", pair)]
    if platform:
        argv += ["--platform", platform]
    return argv + [str(context)]


def classic_env(builder: str) -> dict[str, str]:
    """What the shell line sets so `docker build` is the classic builder, as the SDK's is.

    Args:
        builder: what `docker build` uses on this engine (`facts().builder`).

    Returns:
        {"DOCKER_BUILDKIT": "0"} where `docker build` would be BuildKit (Engine 23 and later,
        or docker-buildx installed); nothing where it is the classic builder already.
    """
    return {"DOCKER_BUILDKIT": "0"} if builder == "buildkit" else {}


def tag_argv(image: str, ref: str) -> list[str]:
    """`docker tag IMAGE REF` for a `Lab.tag` call."""
    return ["docker", "tag", image, ref]
