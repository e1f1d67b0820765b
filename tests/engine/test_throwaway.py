"""throwaway against the real host: a second engine with its own bip, gone without a trace."""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lab.session import Lab
from labkit.networking import netinspect, throwaway

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
        with pytest.raises(LabkitError, match="load it first"):
            engine.run("labkit/busybox", ["true"])  # never a pull
        assert engine.load("labkit/busybox") == "labkit/busybox:latest"
        box = engine.run("labkit/busybox", ["sleep", "300"])
        address = ipaddress.ip_address(box.attrs["NetworkSettings"]["IPAddress"])
        assert address in ipaddress.ip_network("192.168.1.0/24")
        shim = _shim_socket(engine, box.id)
        assert shim.exists()
        assert netinspect.bridge("docker0").address == docker0_before
        engine.explain_bip(box, "192.168.1.1/24", docker0_before)
        with pytest.raises(LabkitError):
            engine.explain_bip(box, "10.99.0.0/24", docker0_before)
        assert engine.leftovers()["processes"] == ["containerd", "dockerd"]
    finally:
        left = engine.stop_and_check()
    assert left == {"processes": [], "mounts": [], "netns": False, "folder": False}
    assert not shim.exists()
    assert not [e for e in lab.ledger.entries if e["kind"] in {"process", "netns"}]


def test_a_crashed_lesson_is_cleaned_from_the_ledger(lab: Lab) -> None:
    engine = throwaway.start(lab, bip="192.168.1.1/24", name="t3-bip2")
    pids = dict(engine.pids)
    lab.cleanup()  # as `labkit clean` would after a crashed kernel, without engine.stop()
    assert not any(engine._alive(name) for name in pids)
    assert not Path("/var/run/netns", engine.netns).exists()
    assert throwaway.mounts_below(engine.root) == [] and not engine.root.exists()
