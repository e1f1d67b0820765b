"""Chapter 01's checks that need the engine: each rejects a wrong answer with its hint."""

from __future__ import annotations

import pytest

from labkit.building import checks as cb
from labkit.building import platforms
from labkit.lab.session import Lab
from labkit.lessons import registry

pytestmark = pytest.mark.engine


def test_spa_check_rejects_the_unchanged_project(lab: Lab) -> None:
    result = cb.check_spa_config(lab, cb.spa_exercise(lab))
    assert not result.passed and "try_files $uri =404" in result.hint


def test_spa_check_explains_a_broken_config(lab: Lab) -> None:
    folder = cb.spa_exercise(lab)
    conf = folder / "nginx.conf"
    conf.write_text(conf.read_text() + "oops\n")
    result = cb.check_spa_config(lab, folder)
    assert not result.passed and "nginx did not start" in result.message


def test_spa_check_passes_the_model_answer(lab: Lab) -> None:
    folder = cb.spa_exercise(lab)
    conf = folder / "nginx.conf"
    block = "location /assets/ { root /usr/local/web; try_files $uri =404; }\n location / {"
    conf.write_text(conf.read_text().replace("location / {", block))
    assert cb.check_spa_config(lab, folder).passed


def test_layer_check_rejects_a_run_and_passes_a_label(lab: Lab) -> None:
    folder = cb.layer_exercise(lab)
    dockerfile = folder / "Dockerfile"
    original = dockerfile.read_text()
    dockerfile.write_text(original + "RUN echo more > /more.txt\n")
    wrong = cb.check_no_new_layer(lab, folder)
    assert not wrong.passed and "RUN, COPY and ADD" in wrong.hint
    dockerfile.write_text(original + "EXPOSE 8080\n")
    assert cb.check_no_new_layer(lab, folder).passed


def test_layer_check_reports_a_dockerfile_that_does_not_build(lab: Lab) -> None:
    folder = cb.layer_exercise(lab)
    with open(folder / "Dockerfile", "a") as fh:
        fh.write("LABLE typo=1\n")
    result = cb.check_no_new_layer(lab, folder)
    assert not result.passed and "does not build" in result.message


def test_platform_check_against_a_real_list(lab: Lab) -> None:
    import shutil

    if shutil.which("docker") is None:
        pytest.skip("no docker CLI")
    from labkit.base.host import host

    reg = registry.start_registry(lab)
    variants = [platforms.build_variant(lab, reg, a, name="check-test")
                for a in platforms.architectures()]
    pushed = [v.ref for v in variants if platforms.push(v.ref)]
    config = lab.workdir("docker-config")
    multi = reg.ref("check-test:multi")
    host().run(platforms.manifest_argv(config, "create", "--insecure", multi, *pushed))
    host().run(platforms.manifest_argv(config, "push", "--insecure", "--purge", multi))
    name = multi.split("/", 1)[1]
    right = [v.platform for v in variants]
    assert cb.check_platforms(reg, name, right).passed
    wrong = cb.check_platforms(reg, name, right[:1])
    assert not wrong.passed and "docker manifest inspect" in wrong.hint
