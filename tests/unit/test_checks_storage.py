"""Chapter 02's exercise checks: each accepts the model answer and rejects wrong ones with a
hint (fake folders and a fake Docker root; no engine)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base import procfs
from labkit.storage import checks as checks_storage
from labkit.storage import graphdriver
from labkit.storage.imagesave import SavedImage, SavedLayer
from labkit.storage.overlay import OverlayDirs

from .fakes import (
    IS_ROOT,
    FakeClient,
    FakeImage,
    FakeMachine,
    Fakes,
    image_attrs,
    make_store,
    store_client,
    whiteout,
)

needs_root = pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
RIGHT = {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}


def rejected(result, hint_part: str = "") -> None:
    assert not result.passed
    assert result.hint, "a wrong answer must come with a hint"
    assert hint_part in result.hint
    assert "NOT YET" in str(result) and "hint:" in str(result)


# -- 02.1 ------------------------------------------------------------------------------------
def mount_table(tmp_path: Path, *points: Path) -> None:
    """What this machine's /proc/self/mountinfo lists (procfs.PROC points at tmp_path/proc)."""
    lines = [f"{n} 1 0:{n} / {os.path.realpath(p)} rw - overlay overlay rw\n"
             for n, p in enumerate(points, start=40)]
    (tmp_path / "proc" / "self" / "mountinfo").write_text(
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" + "".join(lines))


@pytest.fixture
def ex(tmp_path: Path, monkeypatch) -> OverlayDirs:
    """The exercise overlay after a delete through merged (as the folders would be)."""
    for sub in ("lower", "upper", "work", "merged"):
        (tmp_path / sub).mkdir()
    (tmp_path / "lower" / "secret.txt").write_text("pw\n")
    # procfs reads this machine's own /proc (not the Docker host's): PROC is where.
    (tmp_path / "proc" / "self").mkdir(parents=True)
    monkeypatch.setattr(procfs, "PROC", tmp_path / "proc")
    mount_table(tmp_path, tmp_path / "merged")
    return OverlayDirs(tmp_path, (tmp_path / "lower",), tmp_path / "upper", tmp_path / "work",
                       tmp_path / "merged")


def test_whiteout_prediction_needs_the_three_keys(ex) -> None:
    rejected(checks_storage.check_whiteout(ex, "secret.txt", {"merged": "missing"}), "prediction")


@pytest.mark.parametrize("key,wrong", [("merged", "file"), ("upperdir", "missing"),
                                       ("lowerdir", "missing")])
def test_a_wrong_prediction_gets_the_hint_for_that_folder(ex, key, wrong) -> None:
    result = checks_storage.check_whiteout(ex, "secret.txt", {**RIGHT, key: wrong})
    rejected(result, checks_storage.PREDICTION_HINTS[key])
    assert key in result.message


def test_not_mounted_is_rejected(ex, tmp_path: Path) -> None:
    mount_table(tmp_path, tmp_path / "lower")
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "make_exercise")


def test_deleting_in_lowerdir_is_rejected(ex) -> None:
    (ex.lower / "secret.txt").unlink()
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "through merged")


def test_still_visible_in_merged_is_rejected(ex) -> None:
    (ex.merged / "secret.txt").write_text("pw\n")
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "os.remove")


def test_no_whiteout_in_upper_is_rejected(ex) -> None:
    (ex.upper / "secret.txt").write_text("")
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "through merged")


@needs_root
def test_a_real_whiteout_with_the_right_prediction_passes(ex) -> None:
    whiteout(ex.upper / "secret.txt")
    result = checks_storage.check_whiteout(ex, "secret.txt", RIGHT)
    assert result.passed, str(result)


# -- 02.2 ------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path, fakes: Callable[..., Fakes]):
    s = make_store(tmp_path, [{"etc/passwd": "root\n"}, {"etc/passwd": "root\nredis\n"},
                              {"data/x": ""}])
    redis = FakeImage("sha256:" + "f" * 64, image_attrs(s, ["redis"]))
    fakes(system=FakeMachine().system(), client=store_client({"redis": redis}, root=str(tmp_path)))
    return s


def test_the_topmost_holder_passes(store) -> None:
    result = checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[1])
    assert result.passed, str(result)
    assert checks_storage.check_layer_holding("redis", "/etc/passwd",
                                              store.diff_ids[1][7:19].upper()).passed


def test_a_lower_holder_is_rejected_with_topmost_hint(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[0]),
             "topmost")


def test_a_layer_without_the_file_is_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[2]),
             "diff/")


def test_a_folder_name_or_chain_id_is_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.cache_ids[1]),
             "diff_id")
    chain = graphdriver.chain_ids(store.diff_ids)[1]
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", chain), "RootFS")


def test_garbage_and_unknown_ids_are_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", "layer 2"), "12 hex")
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", "0" * 64),
             "image_layers")


# -- 02.3 ------------------------------------------------------------------------------------
TOP = "sha256:" + hashlib.sha256(b"top").hexdigest()
BASE = "sha256:" + hashlib.sha256(b"base").hexdigest()
IMAGE_ID = "sha256:" + hashlib.sha256(b"config").hexdigest()
FOLDER = hashlib.sha256(b"v1").hexdigest()


@pytest.fixture
def app(fakes: Callable[..., Fakes]) -> SavedImage:
    fakes(client=FakeClient(images={
        "app:v1": FakeImage(IMAGE_ID, {"RootFS": {"Layers": [BASE, TOP]}})}))
    layers = (SavedLayer(1, "x/layer.tar", 1, BASE, False, BASE),
              SavedLayer(2, f"{FOLDER}/layer.tar", 1, TOP, False, TOP))
    return SavedImage(Path("/nowhere"), "docker", ("app:v1",), "c.json", {}, layers)


def test_the_top_diff_id_passes(app) -> None:
    assert checks_storage.check_diff_id("app:v1", TOP, app).passed


@pytest.mark.parametrize("answer,hint_part", [
    (TOP.removeprefix("sha256:"), "sha256:"),
    ("sha256:1234", "64 hex"),
    (BASE, "last entry"),
    (IMAGE_ID, "not the config"),
    (FOLDER, "layer.tar"),
    ("sha256:" + "0" * 64, "uncompressed"),
])
def test_wrong_diff_ids_are_rejected_with_hints(app, answer, hint_part) -> None:
    rejected(checks_storage.check_diff_id("app:v1", answer, app), hint_part)


# -- 02.4 ------------------------------------------------------------------------------------
def test_copy_up_prediction(ex) -> None:
    (ex.lower / "big.log").write_bytes(b"x" * 1000)
    rejected(checks_storage.check_copy_up(ex, "big.log", 1002), "append a line")
    (ex.upper / "big.log").write_bytes(b"x" * 10)
    rejected(checks_storage.check_copy_up(ex, "big.log", 1002), "mode 'a'")
    (ex.upper / "big.log").write_bytes(b"x" * 1002)
    rejected(checks_storage.check_copy_up(ex, "big.log", 2), "whole file")
    assert checks_storage.check_copy_up(ex, "big.log", 1002).passed
