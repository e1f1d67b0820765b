"""The running dockerd's own settings (labkit.base.daemonconfig), and how strictly the notebooks
are compared when they differ from the recording's."""

from __future__ import annotations

import json
from pathlib import Path

from labkit.base import daemonconfig, facts
from labkit.recording import strictness

from .fakes.client import FakeClient, info
from .fakes.machine import FakeMachine

CE_UNIT = ["/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"]


def test_flags_with_and_without_equals_and_repeated() -> None:
    flags = daemonconfig.parse_flags(["dockerd", "--iptables=false", "--bip", "10.9.0.1/24",
                                      "--debug", "--dns", "1.1.1.1", "--dns=9.9.9.9"])
    assert flags == {"iptables": "false", "bip": "10.9.0.1/24", "debug": "true",
                     "dns": "1.1.1.1,9.9.9.9"}


def test_docker_ce_s_unit_and_no_config_are_the_defaults() -> None:
    assert daemonconfig.settings_of(CE_UNIT, "", {"PATH": "/usr/bin"}) == {}
    assert daemonconfig.describe({}) == "defaults" and daemonconfig.describe(None) == "unknown"


def test_daemon_json_is_flattened_and_the_environment_counts() -> None:
    text = json.dumps({"userland-proxy": False, "features": {"containerd-snapshotter": True},
                       "log-level": "debug"})
    found = daemonconfig.settings_of(["dockerd"], text, {
        "DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS": "1", "DOCKER_HOST": "unix://x"})
    assert found == {"DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS": "1",
                     "features.containerd-snapshotter": "true", "userland-proxy": "false"}
    assert daemonconfig.settings_of(["dockerd"], "{not json", {}) == {"daemon.json": "?"}


def test_read_follows_the_pidfile_and_the_config_file_flag(machine: FakeMachine) -> None:
    machine.files.update({
        "/var/run/docker.pid": "77\n",
        "/proc/77/cmdline": "dockerd\0--config-file\0/srv/d.json\0",
        "/proc/77/environ": "PATH=/bin\0",
        "/srv/d.json": '{"firewall-backend": "nftables"}'})
    assert daemonconfig.read(machine.system()) == {"firewall-backend": "nftables"}
    machine.files["/proc/77/cmdline"] = "sleep\0100\0"  # the pid was reused
    assert daemonconfig.read(machine.system()) is None


def test_facts_carry_the_settings_and_the_userland_proxy(machine: FakeMachine) -> None:
    machine.engine = FakeClient(info())
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    machine.files.update({"/var/run/docker.pid": "5", "/proc/5/cmdline": "dockerd\0",
                          "/etc/docker/daemon.json": '{"userland-proxy": false}'})
    f = facts.facts()
    assert f.daemon == {"userland-proxy": "false"} and not f.userland_proxy


def _notebook(tmp_path: Path, recorded: dict[str, str]) -> Path:
    nb = tmp_path / "00-x.ipynb"
    nb.write_text(json.dumps({"metadata": {"labkit": {"recorded_on": recorded}}, "cells": []}))
    return nb


REFERENCE = {"version": "29.7.2", "release": "29.7", "storage": "containerd",
             "builder": "buildkit", "firewall": "iptables-nft", "cgroup": "1",
             "daemon": "defaults"}


def test_same_kind_and_defaults_is_strict(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LABKIT_NBVAL", raising=False)
    assert strictness.mode(_notebook(tmp_path, REFERENCE), dict(REFERENCE)).strict


def test_a_learner_s_own_daemon_settings_make_it_lax_and_say_why(tmp_path: Path,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LABKIT_NBVAL", raising=False)
    live = {**REFERENCE, "daemon": "userland-proxy=false"}
    how = strictness.mode(_notebook(tmp_path, REFERENCE), live)
    assert not how.strict and "daemon (userland-proxy=false)" in how.reason
    nft = {**REFERENCE, "firewall": "nftables", "daemon": "firewall-backend=nftables"}
    assert "firewall (nftables)" in strictness.mode(_notebook(tmp_path, REFERENCE), nft).reason


def test_older_recordings_without_daemon_settings_mean_defaults(tmp_path: Path,
                                                               monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LABKIT_NBVAL", raising=False)
    old = {k: v for k, v in REFERENCE.items() if k != "daemon"}
    assert strictness.mode(_notebook(tmp_path, old), dict(REFERENCE)).strict
