"""overlay2 on the real engine: layerdb, the -init layer, l/ names, the container's layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labkit.base.engine import client
from labkit.base.facts import facts
from labkit.images import catalog as images
from labkit.storage import checks as checks_storage
from labkit.storage import graphdriver, overlay2_layers
from labkit.storage import store as image_store

pytestmark = pytest.mark.engine


@pytest.fixture
def overlay2() -> None:
    """Skip where the engine has no overlay2 folders (the containerd image store)."""
    if not (facts().storage == "overlay2" and facts().local):
        pytest.skip("this engine has no overlay2 graphdriver folders here (02 §3.6 starts a "
                    "lesson engine on overlay2 there: test_lesson_overlay2.py)")


def test_chain_ids_name_real_layerdb_folders(overlay2) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    root = overlay2_layers.docker_root()
    diff_ids = client().images.get("labkit/busybox").attrs["RootFS"]["Layers"]
    for chain in overlay2_layers.chain_ids(diff_ids):
        db = root / "image" / "overlay2" / "layerdb" / "sha256" / chain.split(":")[1]
        assert (db / "diff").read_text() in diff_ids  # layerdb agrees with our formula
    layers = overlay2_layers.image_layers("labkit/busybox")
    assert all((root / "overlay2" / x.dir_id / "diff").is_dir() for x in layers)
    assert layers[0].lower == () and len(layers[-1].lower) == len(layers) - 1


def test_image_graphdriver_matches_layerdb(overlay2) -> None:
    gd = graphdriver.of_image("labkit/busybox")
    layers = overlay2_layers.image_layers("labkit/busybox")
    assert Path(gd.upper_dir).parent.name == layers[-1].dir_id
    assert [Path(p).parent.name for p in gd.lower_dirs] == [x.dir_id for x in layers[-2::-1]]


def test_container_stack(overlay2, box) -> None:
    stack = overlay2_layers.container_layers(box)
    assert [x.role for x in stack][-2:] == ["init", "container"]
    gd = graphdriver.of_container(box)
    assert Path(gd.lower_dirs[0]).parent.name == stack[-2].dir_id
    assert stack[-2].dir_id.endswith("-init")
    assert "/etc/hosts" in set(image_store.init_files(box)["path"])
    names = overlay2_layers.short_names(box)
    assert list(names["role"])[0] == "init" and len(names) == len(stack) - 1
    mnt = graphdriver.overlay_mount(box)
    assert len(mnt.lowers) == len(stack) - 1 and mnt.options["upperdir"] == gd.upper_dir
    budget = graphdriver.option_budget(box)
    assert list(budget["layers in a page"]) == sorted(budget["layers in a page"])
    assert max(budget["overlay2 allows"]) <= graphdriver.MAX_DEPTH


def test_writes_land_in_the_container_layer(box) -> None:
    upper = Path(graphdriver.of_container(box).upper_dir)
    (upper / "from-host.txt").write_text("hi\n")
    assert box.exec_run(["cat", "/from-host.txt"]).output == b"hi\n"
    assert box.exec_run(["sh", "-c", "echo x >> /etc/passwd && rm /etc/group"]).exit_code == 0
    rows = graphdriver.upper_changes(box).set_index("path")
    assert rows.loc["/etc/passwd", "in UpperDir"] == "file"
    assert rows.loc["/etc/group", "in UpperDir"] == "whiteout"
    assert rows.loc["/from-host.txt", "same path below"] == "-"


def test_docker_diff_lists_the_changes(box, capsys) -> None:
    assert box.exec_run(["rm", "/etc/group"]).exit_code == 0
    graphdriver.docker_diff(box)
    assert "D /etc/group" in capsys.readouterr().out.splitlines()


def test_check_layer_holding_on_a_real_image(overlay2, lab) -> None:
    """02.2's check (it reads `docker save`) agrees with overlay2's own layer folders."""
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    layers = overlay2_layers.image_layers("labkit/busybox")
    holders = [x for x in layers if (x.path / "bin" / "busybox").exists()]
    assert checks_storage.check_layer_holding(lab, "labkit/busybox", "/bin/busybox",
                                              holders[-1].diff_id).passed
    for other in (x for x in layers if x not in holders):
        result = checks_storage.check_layer_holding(lab, "labkit/busybox", "/bin/busybox",
                                                    other.diff_id)
        assert not result.passed and result.hint


def test_container_folders_come_from_its_mount_where_inspect_has_none(box) -> None:
    gd, mnt = graphdriver.of_container(box), graphdriver.overlay_mount(box)
    assert mnt.options["upperdir"] == gd.upper_dir
    # overlay2 hands the kernel l/ short names, symlinks to the folders inspect names
    assert [os.path.realpath(p) for p in gd.lower_dirs] == [
        os.path.realpath(p) for p in mnt.lowers]
    assert sorted(p.name for p in Path(gd.merged_dir).iterdir()) == sorted(
        box.exec_run(["ls", "-A", "/"]).output.decode().split())


def test_inspect_shows_the_storage_field_this_engine_gives(box, capsys) -> None:
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    graphdriver.inspect_storage("image", "labkit/busybox")
    graphdriver.inspect_storage("container", box.name)
    out = capsys.readouterr().out
    image_said, container_said = out.split("$ docker container inspect", 1)
    engine = facts()
    modern = tuple(int(x) for x in engine.api_version.split(".")) >= (1, 52)
    if not engine.containerd_store:
        assert "folders from `GraphDriver.Data`" in image_said
        assert "folders from `GraphDriver.Data`" in container_said
    elif modern:  # Engine 29: no GraphDriver (moby#50893); a container's Storage (moby#50857)
        assert "gives no `GraphDriver` (null)" in image_said
        assert "-f '{{json .GraphDriver}}' labkit/busybox\nnull\n" in image_said
        assert "`Storage.RootFS.Snapshot.Name` = overlayfs" in container_said
        assert container_said.startswith(" -f '{{json .Storage}}' ")
        assert '{"RootFS":{"Snapshot":{"Name":"overlayfs"}}}' in container_said
    else:
        assert "`GraphDriver.Name` = overlayfs" in image_said
    gd = graphdriver.of_container(box)
    expected = "GraphDriver.Data" if not engine.containerd_store else "mountinfo"
    assert gd.source == expected and gd.upper_dir
