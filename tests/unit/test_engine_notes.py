"""labkit.start's notes for engines the chapters cannot fully teach on."""

from __future__ import annotations

import dataclasses

from labkit.base.facts import EngineFacts
from labkit.lab import engine_notes

LOCAL = EngineFacts(server_version="29.7.2", api_version="1.52", major=29, minor=7,
                    builder="buildkit", builder_version="2", buildx=True, storage="containerd",
                    storage_driver="overlayfs", firewall="iptables-nft", firewall_engine="iptables",
                    iptables_variant="nf_tables", cgroup_version="2", host_mode="local",
                    os="Debian GNU/Linux forky/sid", architecture="x86_64", daemon=None,
                    raw={"SecurityOptions": ["name=seccomp,profile=builtin", "name=cgroupns"]})


def test_a_local_rootful_engine_gets_no_note() -> None:
    assert engine_notes.notes(LOCAL) == []


def test_rootless_docker_is_named_and_told_where_to_run() -> None:
    rootless = dataclasses.replace(LOCAL, raw={"SecurityOptions": [
        "name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"]})
    (note,) = engine_notes.notes(rootless)
    assert note.startswith("This is rootless Docker") and "RootlessKit" in note


def test_desktop_and_remote_engines_are_read_through_the_helper() -> None:
    desktop = dataclasses.replace(LOCAL, os="Docker Desktop", host_mode="helper")
    (note,) = engine_notes.notes(desktop)
    assert note.startswith("Docker Desktop runs the engine in a virtual machine")
    remote = dataclasses.replace(LOCAL, host_mode="helper")
    (note,) = engine_notes.notes(remote)
    assert note.startswith("The engine runs on another machine")
