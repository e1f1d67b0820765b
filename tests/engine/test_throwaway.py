"""throwaway against the real host: a second engine with its own bip, gone without a trace."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lab.session import Lab
from labkit.lessons import dockerd
from labkit.networking import firewall, nat, netinspect, nftables, throwaway

pytestmark = pytest.mark.engine


def _shim_socket(engine: throwaway.Throwaway, container_id: str) -> Path:
    """Where containerd 1.6+ puts a task's shim socket (outside the engine's own folder)."""
    key = f"{engine.root}/containerd/containerd.sock/moby/{container_id}"
    return Path("/run/containerd/s", hashlib.sha256(key.encode()).hexdigest())


def test_bip_on_a_throwaway_engine_leaves_no_trace(lab: Lab) -> None:
    docker0_before = netinspect.bridge("docker0").address
    engine = throwaway.start(lab, bip="192.168.1.1/24", name="t3-bip")
    try:
        assert engine.docker0() == "192.168.1.1/24"
        assert engine.client.info()["DockerRootDir"] == str(engine.root / "data")
        with pytest.raises(LabkitError, match="--pull never"):
            engine.run("labkit/busybox", ["true"])  # never a pull: the engine says no
        assert engine.load("labkit/busybox") == "labkit/busybox:latest"
        box = engine.run("labkit/busybox", ["sleep", "300"])
        address = ipaddress.ip_address(throwaway.address(box))
        assert address in ipaddress.ip_network("192.168.1.0/24")
        shim = _shim_socket(engine, box.id)
        assert shim.exists()
        assert netinspect.bridge("docker0").address == docker0_before
        engine.explain_bip(box, "192.168.1.1/24", docker0_before)
        with pytest.raises(LabkitError):
            engine.explain_bip(box, "10.99.0.0/24", docker0_before)
        assert engine.leftovers()["processes"] == ["containerd", "dockerd"]
        conf = json.loads(engine.config_file.read_text())
        if throwaway.backend_for(dockerd.dockerd_major()) == "nftables":
            # Docker 29's nftables backend, for real: its table in the engine's own netns.
            assert conf["firewall-backend"] == "nftables"
            table = nftables.read(netns=engine.netns, show=False)
            rules = firewall.from_nft(table)
            assert [r.chain for r in nat.masquerade("192.168.1.0/24", rules)] == [
                "nat-postrouting-out__docker0"]
            assert any("DROP DIRECT ACCESS" in r.spec and r.mentions([str(address)])
                       for r in rules if r.chain == "raw-PREROUTING")
            assert nftables.isolation_rules(table, "docker0")
            engine.firewall("docker0")
        else:
            assert "firewall-backend" not in conf
    finally:
        left = engine.stop_and_check()
    assert left == {"processes": [], "mounts": [], "netns": False, "folder": False}
    assert not shim.exists()
    assert not [e for e in lab.ledger.entries if e["kind"] in {"process", "netns"}]


def test_a_crashed_lesson_is_cleaned_from_the_ledger(lab: Lab) -> None:
    engine = throwaway.start(lab, bip="192.168.1.1/24", name="t3-bip2")
    pids = dict(engine.pids)
    lab.cleanup()  # as `labkit clean` would after a crashed kernel, without engine.stop()
    assert not any(engine.alive(name) for name in pids)
    assert not Path("/var/run/netns", engine.netns).exists()
    assert dockerd.mounts_below(engine.root) == [] and not engine.root.exists()


def test_03_s_lessons_hold_on_the_nftables_backend(lab: Lab) -> None:
    # The learner's engine may use iptables; the throwaway Docker 29 uses nftables, so the
    # nftables paths of 03's lessons (nft_lessons.py) run for real on every engine from 29.
    if throwaway.backend_for(dockerd.dockerd_major()) != "nftables":
        pytest.skip("the throwaway engine has no nftables backend before Docker 29")
    engine = throwaway.start(lab, name="t3-nft")
    try:
        for image in ("labkit/busybox", "labkit/nginx:1.22.1"):
            engine.load(image)
        env = {**os.environ, "DOCKER_HOST": f"unix://{engine.root / 'docker.sock'}"}
        script = Path(__file__).with_name("nft_lessons.py")
        done = subprocess.run(["ip", "netns", "exec", engine.netns, sys.executable,  # noqa: S603
                               str(script)], env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "DROP DIRECT ACCESS" in done.stdout and "snat to" in done.stdout
    finally:
        left = engine.stop_and_check()
    assert left == {"processes": [], "mounts": [], "netns": False, "folder": False}
