"""The 02/02b checks on a live engine: the learner's own mount and image, the model answer
passes, a wrong one is rejected with a hint, a placeholder is "not answered yet"."""

from __future__ import annotations

import pytest

from labkit.lab.exercises import reset_tries
from labkit.lab.session import Lab
from labkit.storage import checks, layertar, overlay

pytestmark = pytest.mark.engine


@pytest.fixture(autouse=True)
def fresh_tries() -> None:
    reset_tries()


def test_whiteout_and_copy_up_on_a_real_overlay(lab: Lab) -> None:
    ex = overlay.make_exercise(lab)
    right = {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}
    assert checks.check_whiteout(ex, "secret.txt", right).message.startswith("merged still")
    (ex.merged / "secret.txt").unlink()
    assert not checks.check_whiteout(ex, "secret.txt", {**right, "upperdir": "missing"})
    assert checks.check_whiteout(ex, "secret.txt", right).passed
    assert checks.check_copy_up(ex, "big.log", ...).message == "not answered yet"
    assert not (ex.upper / "big.log").exists()
    wrong = checks.check_copy_up(ex, "big.log", 2)
    assert not wrong and "whole file" in wrong.hint
    assert checks.check_copy_up(ex, "big.log", overlay.BIG_FILE_BYTES + 2).passed


def test_tar_whiteouts_of_the_learners_own_image(lab: Lab) -> None:
    assert layertar.build_step(lab, ...) is None
    mine = layertar.build_step(lab, "rm /etc/issue.net && rm -r /etc/skel", tag="t-my-deleter:v1")
    assert mine is not None
    assert checks.check_tar_whiteouts(lab, mine, ...).message == "not answered yet"
    lesson = checks.check_tar_whiteouts(lab, mine, {"etc/.wh.motd"})
    assert not lesson and lesson.hint
    result = checks.check_tar_whiteouts(lab, mine, {"etc/.wh.issue.net", "etc/.wh.skel"})
    assert result.passed, str(result)
