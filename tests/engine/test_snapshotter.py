"""The containerd image store on the real engine: snapshots, the content store, both stores."""

from __future__ import annotations

import hashlib
import os

import pytest

from labkit.base.engine import client
from labkit.base.facts import facts
from labkit.storage import snapshotter

pytestmark = pytest.mark.engine


@pytest.fixture
def containerd_store() -> None:
    """Skip where images live in a graphdriver (no snapshots, no content store to read)."""
    if not facts().containerd_store:
        pytest.skip("this engine keeps images in a graphdriver, not in containerd's image store")


def test_lowerdirs_are_the_image_snapshots(containerd_store, box) -> None:
    stack = snapshotter.snapshot_stack(box)
    assert os.path.isdir(stack.snapshots_dir)
    layers = client().images.get("labkit/busybox").attrs["RootFS"]["Layers"]
    roles = [s.role for s in stack.snapshots]
    assert roles[0] == "init" and roles[-1] == "container"
    matched = [s.diff_id for s in stack.snapshots if s.diff_id]
    assert matched in ([], list(reversed(layers)))
    assert (roles[-2] == "layer 1") == bool(matched)
    for snap in stack.snapshots:
        assert os.path.isdir(snap.path) and snap.path.startswith(stack.snapshots_dir)
    assert len({s.number for s in stack.snapshots}) == len(stack.snapshots)


def test_the_image_id_is_the_target_digest_not_the_config(containerd_store, box) -> None:
    root = snapshotter.snapshot_stack(box).root
    found = snapshotter.image_digests("labkit/busybox", root)
    assert found.image_id == found.target_digest != found.config_digest
    config = snapshotter.read_blob(root, found.config_digest)
    assert "sha256:" + hashlib.sha256(config.encode()).hexdigest() == found.config_digest
    assert '"diff_ids"' in config


def test_the_table_reads_this_engine_on_either_store(box) -> None:
    frame = snapshotter.stores_frame(box)
    mine = [c for c in frame.columns if c.endswith("(this engine)")]
    assert len(mine) == 1 and len(frame.columns) == 2
    expected = "containerd image store" if facts().containerd_store else "overlay2 graphdriver"
    assert mine[0].startswith(expected)
    lower = frame.loc["a container's lowerdirs", mine[0]]
    assert not lower.startswith("/"), "relative to the root printed above the table"
    assert max(len(str(v)) for v in frame.to_numpy().ravel()) <= 64, "no cell pandas cuts"
    assert facts().storage_driver in frame.loc["docker info", mine[0]]
