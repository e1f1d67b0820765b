"""Every line a creating `lab` call prints, pasted into a shell, makes the same thing.

The printed text is split the way a POSIX shell splits it (folded lines joined), the name is
changed so the copy can exist beside the lesson's, and `docker inspect` of the two must agree on
what the line decides: image, command, labels, DNS, ports, network, links, init, PID namespace,
environment; for networks the driver, IPAM and options; for volumes the labels.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from labkit.base.engine import client
from labkit.lab.session import Lab
from labkit.lab.subnets import free_subnet

pytestmark = pytest.mark.engine


def printed(call: Callable[[], Any]) -> tuple[Any, list[str]]:
    """Run CALL; what it returned, and the one command it printed, as a shell would split it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        made = call()
    lines = out.getvalue().replace(" \\\n", " ").splitlines()
    commands = [shlex.split(line[2:]) for line in lines if line.startswith("$ ")]
    assert len(commands) == 1, out.getvalue()
    return made, commands[0]


def paste(argv: list[str], name: str, pasted: str) -> str:
    """Run ARGV with NAME replaced by PASTED; the ID or name it prints."""
    argv = [pasted if word == name else word for word in argv]
    assert argv.count(pasted) == 1, argv
    done = subprocess.run(argv, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout.strip().splitlines()[-1]


def _without_names(attrs: dict[str, Any]) -> dict[str, Any]:
    config, host = attrs["Config"], attrs["HostConfig"]
    return {
        "image": config["Image"], "cmd": config["Cmd"], "entrypoint": config["Entrypoint"],
        "labels": config["Labels"], "env": sorted(config["Env"] or []),
        "dns": host["Dns"], "network": host["NetworkMode"], "init": host.get("Init"),
        "pid": host["PidMode"],
        "links": sorted(link.replace(f"{attrs['Name']}/", "/SELF/")  # /target:/SELF/alias
                        for link in host.get("Links") or []),
        "ports": {k: [b["HostIp"] for b in v] for k, v in (host["PortBindings"] or {}).items()},
    }


@pytest.mark.parametrize("case", ["ports and env", "network and command", "links",
                                  "init and pid", "joins another"])
def test_a_pasted_run_line_makes_the_same_container(lab: Lab, case: str) -> None:
    target = lab.run("labkit/busybox", ["sleep", "600"], name="t-paste-target")
    net = lab.network("t-paste-net", subnet="auto")
    flags = {
        "ports and env": ["-p", "127.0.0.1::80", "-e", "GREETING=hi there"],
        "network and command": ["--network", net.name],
        "links": ["--link", f"{target.name}:upstream"],
        "init and pid": ["--init", "--pid", f"container:{target.name}"],
        "joins another": ["--network", f"container:{target.name}"],
    }[case]
    box, argv = printed(lambda: lab.run("labkit/busybox", ["sh", "-c", "sleep 600; echo a b"],
                                        name="t-pasted", flags=flags))
    copy = paste(argv, box.name, f"{box.name}-copy")
    try:
        theirs = client().containers.get(copy)
        assert _without_names(theirs.attrs) == _without_names(box.attrs)
    finally:
        client().containers.get(copy).remove(force=True)


def test_a_pasted_network_and_volume_line_make_the_same_objects(lab: Lab) -> None:
    net, argv = printed(lambda: lab.network("t-paste-n", subnet="auto", host_binding="127.0.0.1"))
    subnet = net.attrs["IPAM"]["Config"][0]["Subnet"]
    argv[argv.index(subnet)] = str(free_subnet())  # a subnet belongs to one network
    copy = client().networks.get(paste(argv, net.name, f"{net.name}-copy"))
    try:
        assert copy.attrs["Driver"] == net.attrs["Driver"]
        assert copy.attrs["Options"] == net.attrs["Options"]
        assert copy.attrs["Labels"] == net.attrs["Labels"]
    finally:
        copy.remove()
    vol, argv = printed(lambda: lab.volume("t-paste-v"))
    copied = client().volumes.get(paste(argv, vol.name, f"{vol.name}-copy"))
    try:
        assert copied.attrs["Labels"] == vol.attrs["Labels"]
    finally:
        copied.remove()
