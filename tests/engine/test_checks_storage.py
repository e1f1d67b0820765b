"""The 02/02b checks on a live engine: the learner's own overlay and image, and the images the
exercises build fresh; the model answer passes, a wrong one is rejected with a hint, a
placeholder is "not answered yet"."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from labkit.base.show import docker, sh
from labkit.lab.exercises import reset_tries
from labkit.lab.session import Lab
from labkit.storage import checks, layertar, overlay

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def fresh_tries() -> None:
    reset_tries()


def test_rename_on_a_real_overlay(lab: Lab) -> None:
    ex = overlay.make_exercise(lab)
    right = {"notes.txt": "whiteout", "notes.bak": "file"}
    rename = lambda p: checks.check_rename(ex, "notes.txt", "notes.bak", p)  # noqa: E731
    assert rename({**right, "notes.txt": ...}).message == "not answered yet"
    assert rename(right).message.startswith("merged does not show")
    sh(["mv", f"{ex.merged}/notes.txt", f"{ex.merged}/notes.bak"])
    assert not rename({**right, "notes.txt": "missing"})
    assert rename(right).passed


def test_copy_up_of_a_random_size(lab: Lab) -> None:
    cu = checks.copy_up_overlay(lab)
    size = (Path(cu) / "lower" / "data.bin").stat().st_size
    assert checks.check_copy_up(cu, ...).message == "not answered yet"
    assert not (Path(cu) / "upper" / "data.bin").exists()
    wrong = checks.check_copy_up(cu, 4)
    assert not wrong and "whole file" in wrong.hint
    assert (Path(cu) / "upper" / "data.bin").stat().st_size == size
    assert not checks.check_copy_up(cu, size + 4)
    assert checks.check_copy_up(cu, size).passed


def test_the_layer_a_container_sees(lab: Lab) -> None:
    puzzle = checks.build_layer_puzzle(lab, tag="t-layer-puzzle:v1")
    layers = docker(["image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}{{end}}",
                     puzzle]).stdout.split()
    base = len(layers) - len(checks.PUZZLE_STEPS)  # the base image's layers, then one per RUN
    assert base == len(docker(["image", "inspect", "-f", "{{range .RootFS.Layers}}{{println .}}"
                               "{{end}}", checks.PUZZLE_BASE]).stdout.split())
    check = lambda a: checks.check_layer_holding(lab, puzzle, checks.PUZZLE_FILE, a)  # noqa: E731
    assert check(...).message == "not answered yet"
    below = check(layers[base + 1])  # the second RUN appended to the file
    assert not below and "topmost" in below.hint
    assert not check(layers[base + 4])  # the last RUN wrote index.html only
    assert not check(layers[0])  # the base has no /srv/app
    assert check(layers[base + 3]).passed  # the chmod stored the whole file again


def test_diff_id_of_a_fresh_image(lab: Lab) -> None:
    fresh = checks.build_fresh_image(lab, tag="t-fresh-layer:v1")
    out = str(lab.workdir("t-fresh-save"))
    docker(["save", fresh, "-o", f"{out}/fresh.tar"])
    sh(["tar", "-xf", f"{out}/fresh.tar", "-C", out])
    with open(f"{out}/manifest.json") as fh:
        top = json.load(fh)[0]["Layers"][-1]
    raw = Path(out, top).read_bytes()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    answer = "sha256:" + hashlib.sha256(data).hexdigest()
    assert checks.check_diff_id(fresh, ..., out).message == "not answered yet"
    if data is not raw:  # a compressed blob: its name is its own digest, not the diff_id
        blob = "sha256:" + hashlib.sha256(raw).hexdigest()
        assert "compressed" in checks.check_diff_id(fresh, blob, out).hint
    assert checks.check_diff_id(fresh, answer, out).passed


def test_tar_whiteouts_of_the_learners_own_image(lab: Lab) -> None:
    assert layertar.build_step(lab, ...) is None
    mine = layertar.build_step(lab, "rm /etc/issue.net && rm -r /etc/skel", tag="t-my-deleter:v1")
    assert mine is not None
    assert checks.check_tar_whiteouts(lab, mine, ...).message == "not answered yet"
    lesson = checks.check_tar_whiteouts(lab, mine, {"etc/.wh.motd"})
    assert not lesson and lesson.hint
    result = checks.check_tar_whiteouts(lab, mine, {"etc/.wh.issue.net", "etc/.wh.skel"})
    assert result.passed, str(result)
