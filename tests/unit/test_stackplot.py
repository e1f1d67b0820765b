"""labkit.storage.stackplot draws from folders and layer records (Agg backend, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

from labkit.storage import stackplot
from labkit.storage.overlay import OverlayDirs
from labkit.storage.overlay2_layers import LayerDir

from .fakes.docker_root import IS_ROOT, whiteout

matplotlib.use("Agg")


def two_layers(root: Path) -> OverlayDirs:
    for sub in ("l1", "l2", "upper", "work", "merged"):
        (root / sub).mkdir()
    (root / "l1" / "a").write_text("1")
    (root / "l2" / "a").write_text("2")
    (root / "l1" / "b").write_text("b")
    return OverlayDirs(root, (root / "l2", root / "l1"), root / "upper", root / "work",
                       root / "merged")


def test_the_highest_copy_is_the_source(tmp_path: Path) -> None:
    d = two_layers(tmp_path)
    assert stackplot.source_layer(d, "a") == "lowerdir 2 (l2)"
    assert stackplot.source_layer(d, "b") == "lowerdir 1 (l1)"
    (d.upper / "a").write_text("up")
    assert stackplot.source_layer(d, "a") == "upperdir"
    assert stackplot.source_layer(d, "nothing") is None


@pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
def test_a_whiteout_hides_the_name(tmp_path: Path) -> None:
    d = two_layers(tmp_path)
    whiteout(d.upper / "b")
    assert stackplot.source_layer(d, "b") is None


def test_overlay_stack_draws_one_row_per_folder(tmp_path: Path) -> None:
    fig = stackplot.overlay_stack(two_layers(tmp_path))
    ax = fig.axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert {"lowerdir 1 (l1)", "lowerdir 2 (l2)", "upperdir", "merged", "a", "b"} <= labels
    assert "not mounted" in ax.get_title()
    assert len(ax.patches) == 3  # l1: a, b; l2: a; nothing in upper or (unmounted) merged


def test_layer_stack_has_a_bar_per_layer() -> None:
    diff = Path("/var/lib/docker/overlay2/x/diff")
    layers = [LayerDir("layer 1", "a" * 64, "l/A", (), 117_000_000, 6000, diff,
                       "sha256:" + "1" * 64),
              LayerDir("init", "b" * 64 + "-init", "l/B", ("l/A",), 0, 10, diff),
              LayerDir("container", "b" * 64, "l/C", ("l/B", "l/A"), 22, 1, diff)]
    fig = stackplot.layer_stack(layers)
    left, right = fig.axes
    assert len(left.patches) == 3 and len(right.patches) == 3
    texts = [t.get_text() for t in right.texts]
    assert texts == ["117 MB", "0 B", "22 B"]
    assert any("-init" in t.get_text() for t in left.texts)
    assert right.get_xlabel() == "size of diff/ (log10 bytes)"


def test_layer_stack_names_snapshots_on_the_containerd_store() -> None:
    fs = Path("/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/14/fs")
    layers = [LayerDir("layer 1", "10", "", (), 100, 3, fs, "sha256:" + "1" * 64),
              LayerDir("init", "14", "", (), 0, 10, fs)]
    left, right = stackplot.layer_stack(layers).axes
    labels = [t.get_text() for t in left.texts]
    assert labels[1] == "init: snapshot 14" and labels[0].endswith("  (snapshot 10)")
    assert right.get_xlabel() == "size of fs/ (log10 bytes)"


def test_digest_flow_draws_four_boxes_per_layer() -> None:
    from labkit.storage.wire import BlobHash

    hashes = [BlobHash(n, "sha256:" + f"{n}d" * 32, "", 100 * n, True,
                       "sha256:" + f"{n}e" * 32, "", 300 * n) for n in (1, 2)]
    fig = stackplot.digest_flow(hashes)
    ax = fig.axes[0]
    assert len(ax.patches) == 8
    texts = [t.get_text() for t in ax.texts]
    assert "digest\n" + "1d" * 6 in texts and "diff_id\n" + "2e" * 6 in texts
    assert texts.count("gunzip") == 2
