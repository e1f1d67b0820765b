"""The chapter 03 checks against the real engine: the model solutions pass, wrong answers fail."""

from __future__ import annotations

import pytest

from labkit.base import containers
from labkit.base.show import docker, sh
from labkit.lab.session import Lab
from labkit.networking import checks

pytestmark = pytest.mark.engine


def test_reach_by_name(lab: Lab) -> None:
    # The flags alone, on the default bridge: no DNS, so no name.
    bare = checks.check_reach_by_name(lab, [], [])
    assert not bare.passed and "default bridge has no DNS" in bare.message
    net = lab.network("ex-net", subnet="auto")
    no_alias = checks.check_reach_by_name(lab, ["--network", net.name], ["--network", net.name])
    assert not no_alias.passed and "finds no store" in no_alias.message, no_alias
    # The model answer, and the other way to the alias: a --link on a user-defined network.
    model = checks.check_reach_by_name(
        lab, ["--network", net.name, "--network-alias", "store"], ["--network", net.name])
    assert model.passed, model
    linked = checks.check_reach_by_name(
        lab, ["--network", net.name], ["--network", net.name, "--link", "ex-a:store"])
    assert linked.passed, linked
    # An alias needs a user-defined network. With docker CLI 28 (this machine's) `docker run`
    # fails on the default bridge; Debian 12's CLI 20.10 starts the container without it, and
    # the check then finds no DNS there. Not passed, either way.
    refused = checks.check_reach_by_name(lab, ["--network-alias", "store"], [])
    assert not refused.passed
    assert "failed" in refused.message or "default bridge has no DNS" in refused.message, refused


def test_publish(lab: Lab) -> None:
    port, inside = checks.publish_ports()
    refused = checks.check_publish(lab, f"{port}:{inside}", port, inside)
    assert not refused.passed and "every address" in refused.message
    dead = checks.check_publish(lab, f"127.0.0.1:{port}:80", port, inside, wait=1)
    assert not dead.passed and "nothing answered there" in dead.message
    right = checks.check_publish(lab, f"127.0.0.1:{port}:{inside}", port, inside)
    assert right.passed, right
    assert [(b.host_ip, b.host_port) for b in containers.published("ex-web")] == [
        ("127.0.0.1", port)]


def host_end(name: str) -> str:
    """The notebook's model solution of 03.3: labkit.docker and labkit.sh output only."""
    peer = docker(["exec", name, "cat", "/sys/class/net/eth0/iflink"], quiet=True)
    links = sh(["ip", "-o", "link"], quiet=True).stdout.splitlines()
    return next(line.split(": ")[1].split("@")[0] for line in links
                if line.startswith(peer.stdout.strip() + ": "))


def test_host_veth(lab: Lab) -> None:
    stranger = checks.new_stranger(lab)
    assert isinstance(stranger, str)
    other = lab.run("labkit/busybox", ["sleep", "300"], name="t3-ex-v2")
    right = host_end(stranger)
    assert checks.check_host_veth(stranger, right).passed
    wrong = checks.check_host_veth(stranger, host_end(other.name))
    assert not wrong.passed and "ifindex" in wrong.hint
    assert not checks.check_host_veth(stranger, "eth0").passed
    again = checks.new_stranger(lab)  # fresh: the old answer names a veth that is gone
    assert not checks.check_host_veth(again, right).passed


def dnat_answer(port: int, listing: list[str]) -> str:
    """The notebook's model solution of 03.4, on either firewall backend."""
    rules = sh(listing, quiet=True).stdout.splitlines()
    rule = next(r for r in rules if "dnat" in r.lower() and f"dport {port} " in r)
    return rule.split("--to-destination ")[-1].split("dnat to ")[-1].split()[0]


def test_dnat(lab: Lab) -> None:
    name, port, listing = checks.new_dnat_target(lab)
    assert isinstance(port, int) and all(isinstance(w, str) for w in listing)
    assert checks.check_dnat(name, port, dnat_answer(port, listing)).passed
    assert not checks.check_dnat(name, port, f"127.0.0.1:{port}").passed
    c = containers.find(name)
    assert c is not None
    gateway = next(iter(containers.endpoints(c).values())).gateway
    assert "bridge's own" in checks.check_dnat(name, port, f"{gateway}:80").message


def test_lookups(lab: Lab) -> None:
    puzzle = checks.new_link_puzzle(lab)
    found = checks.lookups(puzzle)
    assert found == {"lk-app finds db": True, "lk-app finds lk-db": True,
                     "lk-db finds lk-app": False, "dns-a finds dns-b": True,
                     "dns-a finds lk-db": False}
    assert checks.check_lookups(puzzle, dict(found)).passed
    wrong = checks.check_lookups(puzzle, {**found, "lk-db finds lk-app": True})
    assert not wrong.passed and "1 of 5" in wrong.message
