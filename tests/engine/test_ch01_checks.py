"""Chapter 01's checks on a real engine: each rejects a wrong answer with its hint (the second
wrong try adds the second hint) and passes the model answer."""

from __future__ import annotations

import shutil

import pytest

from labkit.building import checks as cb
from labkit.building import platforms
from labkit.lab.exercises import reset_tries
from labkit.lab.session import Lab
from labkit.lessons import registry

pytestmark = pytest.mark.engine

MODEL_BLOCK = """
location /assets/ {
    root /usr/local/web;
    try_files $uri =404;
}
"""


@pytest.fixture(autouse=True)
def fresh_tries() -> None:
    reset_tries()


def test_spa_check_rejects_no_change_then_passes_the_model_answer(lab: Lab) -> None:
    folder = cb.spa_exercise(lab)
    wrong = cb.check_spa_config(lab, folder, "# nothing yet")
    assert not wrong.passed and "answered 200" in wrong.message
    assert "a location of its own" in wrong.hint
    assert cb.check_spa_config(lab, folder, MODEL_BLOCK).passed


def test_spa_check_rejects_a_root_that_misses_the_files(lab: Lab) -> None:
    folder = cb.spa_exercise(lab)
    block = "location /assets/ { root /usr/local/web/assets; try_files $uri =404; }"
    first, second = (cb.check_spa_config(lab, folder, block) for _ in range(2))
    assert not first.passed and "/assets/app.css answered 404" in first.message
    assert "joined with the WHOLE path" in second.more


def test_spa_check_explains_a_config_nginx_refuses(lab: Lab) -> None:
    folder = cb.spa_exercise(lab)
    first = cb.check_spa_config(lab, folder, "location / { try_files $uri =404; }")
    second = cb.check_spa_config(lab, folder, "location / { try_files $uri =404; }")
    assert not first.passed and "nginx did not start" in first.message
    assert "duplicate" in second.more
    typo = cb.check_spa_config(lab, folder, "location /assets/ { root /usr/local/web }")
    assert not typo.passed and "nginx did not start" in typo.message


def test_layer_check_rejects_a_run_and_passes_a_label(lab: Lab) -> None:
    folder = cb.layer_exercise(lab)
    wrong = cb.check_no_new_layer(lab, folder, "RUN echo more > /more.txt")
    assert not wrong.passed and "changed FILES" in wrong.hint
    assert cb.check_no_new_layer(lab, folder, "EXPOSE 8080").passed


def test_layer_check_reports_a_dockerfile_that_does_not_build(lab: Lab) -> None:
    folder = cb.layer_exercise(lab)
    result = cb.check_no_new_layer(lab, folder, "LABLE typo=1")
    assert not result.passed and "does not build" in result.message


def test_platform_quiz_makes_a_list_the_check_reads(lab: Lab) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    reg = registry.start_registry(lab)
    config = lab.workdir("docker-config")
    chosen = ["linux/386", "linux/arm64", "linux/s390x"]
    quiz = cb.platform_quiz(lab, reg, config, chosen=chosen)
    doc = platforms.inspect_manifest(config, quiz)
    assert sorted(platforms.platforms_of(doc)) == chosen
    assert cb.check_platforms(reg, quiz, list(reversed(chosen))).passed
    wrong = cb.check_platforms(reg, quiz, ["linux/amd64", "linux/arm64"])
    assert not wrong.passed and "ask the registry" in wrong.hint
    again = cb.platform_quiz(lab, reg, config, chosen=["linux/amd64", "linux/ppc64le"])
    assert not cb.check_platforms(reg, again, chosen).passed  # the list is new each time
