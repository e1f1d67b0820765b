"""Section 3's lesson on whichever store the engine uses: one call, the engine's own answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.base import procfs
from labkit.base.engine import client
from labkit.base.facts import facts
from labkit.images import catalog as images
from labkit.storage import checks as checks_storage
from labkit.storage import store

pytestmark = pytest.mark.engine


def test_the_stack_is_the_image_then_init_then_the_container(box) -> None:
    diff_ids = client().images.get("labkit/busybox").attrs["RootFS"]["Layers"]
    stack = store.container_layers(box)
    assert [x.role for x in stack][-2:] == ["init", "container"]
    image = store.image_layers("labkit/busybox")
    assert [x.diff_id for x in image] == diff_ids
    in_stack = [x.path for x in stack]
    assert [x.path for x in image] == [p for p in in_stack if p in {x.path for x in image}]
    assert {x.role for x in stack} - {x.role for x in image} <= {"init", "container",
                                                                  "build init"}
    assert all(x.path.is_dir() for x in stack)
    assert len(store.layers_frame(stack)) == len(stack)
    assert store.folder(image[0]) == image[0].path.parent
    assert "/etc/hosts" in set(store.init_files(box)["path"])
    assert store.find_in_layers("labkit/busybox", "/bin/busybox")["containers see"].tolist(
        ).count("<- this one") == 1


def test_short_paths_and_the_page(box) -> None:
    names = store.short_names(box)
    assert len(names) == len(store.container_layers(box)) - 1  # every lowerdir, init on top
    budget = store.option_budget(box)
    fits = list(budget["layers in a page"])
    assert fits == sorted(fits) and fits[0] > 0
    folders = store.container_folders(box)
    assert list(folders["field"]).count("UpperDir") == 1


def test_the_image_id_names_what_this_store_says(box) -> None:
    frame = store.image_digests("labkit/busybox")
    assert frame.iloc[0]["= image ID?"] == "yes"
    config_row = frame[frame["digest of"].str.startswith("config")].iloc[0]
    assert config_row["= image ID?"] == ("no" if facts().containerd_store else "yes")
    where = store.image_storage("labkit/busybox")
    if facts().containerd_store:
        diff_ids = client().images.get("labkit/busybox").attrs["RootFS"]["Layers"]
        assert len(where) == len(diff_ids) and where.iloc[0]["diff_id"] == diff_ids[0][7:19]
    else:
        assert "UpperDir" in set(where["field"])


def test_shared_layers_are_stored_once(box) -> None:
    frame = store.shared_layers(["labkit/busybox", "labkit/busybox"])
    assert len(frame) == len(client().images.get("labkit/busybox").attrs["RootFS"]["Layers"])


def test_the_layer_check_on_this_store(lab) -> None:
    """02.2's check reads `docker save`'s layers on either store: exactly one of
    labkit/busybox's layers is the one whose /bin/busybox a container sees."""
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    diff_ids = client().images.get("labkit/busybox").attrs["RootFS"]["Layers"]
    verdicts = [checks_storage.check_layer_holding(lab, "labkit/busybox", "/bin/busybox", d)
                for d in diff_ids]
    assert [v.passed for v in verdicts].count(True) == 1, [str(v) for v in verdicts]


def test_snapshots_on_either_store_and_no_trace_of_a_lesson_containerd(lab) -> None:
    images.ensure(["labkit/redis:7.0"], progress=lambda m: None)
    redis = lab.run("labkit/redis:7.0", name="t-ch02-store-snaps")
    diff_ids = client().images.get("labkit/redis:7.0").attrs["RootFS"]["Layers"]
    stack = store.snapshot_stack(lab, redis)
    layers = [s for s in stack.snapshots if s.role.startswith("layer ")]
    assert [s.diff_id for s in layers] == list(reversed(diff_ids))
    assert all(Path(s.path).is_dir() for s in stack.snapshots)
    assert stack.snapshots[-1].option == "upperdir"
    if facts().containerd_store:
        return
    # A graphdriver engine: the snapshots belong to the lesson's own containerd.
    folder = Path(stack.root).parent  # the lesson's containerd/c/: config, root, socket
    assert (folder / "config.toml").is_file() and Path(stack.snapshots_dir).is_dir()
    assert [m for m in procfs.mount_points() if m.startswith(str(folder.parent) + "/")]
    assert facts().storage_driver == client().info()["Driver"]  # the learner's store: unchanged
    lab.cleanup()
    assert not folder.exists()
    assert not [m for m in procfs.mount_points() if m.startswith(str(folder.parent) + "/")]
    assert not Path("/var/run/netns/ctrd").exists()
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit()
                and str(folder) in " ".join(procfs.cmdline(int(p.name)))]
