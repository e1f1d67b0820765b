"""`# needs: NAME` cells: found among a cell's leading comments, skipped with a sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit.base import engine
from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts
from labkit.lab import needs

from .fakes import FakeClient, FakeMachine, info

CONTAINERD = info(Driver="overlayfs",
                  DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])


def fake_facts(storage: str) -> EngineFacts:
    driver = "overlayfs" if storage == "containerd" else storage
    return EngineFacts(server_version="28.5.2", api_version="1.51", major=28, minor=5,
                       builder="buildkit", builder_version="", buildx=True, storage=storage,
                       storage_driver=driver, firewall="iptables-nft", firewall_engine="",
                       iptables_variant="nft", cgroup_version="1", host_mode="local",
                       os="Debian", architecture="x86_64")


NOTEBOOKS = sorted(Path(__file__).resolve().parents[2].glob("notebooks/[0-9][0-9]*-*.ipynb"))


def test_the_marker_is_found_among_leading_comments_only() -> None:
    assert needs.needed(["# NBVAL_IGNORE_OUTPUT\n", "# needs: overlay2\n", "x = 1\n"]) == "overlay2"
    assert needs.needed(["x = 1\n", "# needs: overlay2\n"]) is None
    assert needs.needed(["# a comment\n", "print(1)\n"]) is None


def test_an_unknown_need_is_a_labkit_error() -> None:
    with pytest.raises(LabkitError, match="use one of"):
        needs.unmet("zfs")


def test_overlay2_is_unmet_on_the_containerd_store() -> None:
    assert needs.unmet("overlay2", fake_facts(storage="containerd"))
    assert needs.unmet("graphdriver", fake_facts(storage="containerd"))
    assert not needs.unmet("overlay2", fake_facts(storage="overlay2"))
    assert not needs.unmet("graphdriver", fake_facts(storage="overlay2"))


def test_an_unmet_cell_becomes_one_sentence(machine: FakeMachine, capsys) -> None:
    machine.with_tools("docker", "iptables")
    machine.engine = FakeClient(CONTAINERD)  # the engine's facts decide
    cell = ["# needs: overlay2\n", "graphdriver.of_image('x')\n"]
    code = needs.transform(cell)
    assert "graphdriver" not in "".join(code)
    exec("".join(code), {})  # noqa: S102 - the two lines transform() wrote
    said = capsys.readouterr().out
    assert said.startswith("Not shown on this engine: this cell needs overlay2")
    assert "containerd image store" in said and "labkit doctor" in said
    machine.engine = FakeClient(info())  # another engine, on the graphdriver overlay2
    engine.reset_client()
    assert needs.transform(cell) == cell


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_needs_marker_names_a_known_need(notebook: Path) -> None:
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code":
            name = needs.needed("".join(cell["source"]).splitlines(keepends=True))
            assert name is None or name in needs.NEEDS, name


def test_containerd_store_is_met_only_on_the_containerd_store() -> None:
    assert not needs.unmet("containerd-store", fake_facts(storage="containerd"))
    assert needs.unmet("containerd-store", fake_facts(storage="overlay2"))


def test_on_the_graphdriver_a_containerd_cell_says_what_this_engine_does(
        machine: FakeMachine, capsys) -> None:
    machine.with_tools("docker", "iptables")
    machine.engine = FakeClient(info(DockerRootDir="/var/lib/docker"))
    cell = ["# needs: containerd-store\n", "snapshotter.snapshot_stack(redis)\n"]
    exec("".join(needs.transform(cell)), {})  # noqa: S102 - the two lines transform() wrote
    said = capsys.readouterr().out
    assert said.startswith("Not shown on this engine: this cell needs containerd-store")
    assert "'overlay2' graphdriver" in said and "/var/lib/docker/overlay2" in said
    assert "digest of the config" in said
    machine.engine = FakeClient(CONTAINERD)
    engine.reset_client()
    assert needs.transform(cell) == cell
