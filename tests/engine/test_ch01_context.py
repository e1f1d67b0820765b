"""Chapter 01 on the real engine: the build context, -f, and .dockerignore in the image."""

from __future__ import annotations

import os
import shutil

import pytest

from labkit.base.errors import LabkitError
from labkit.base.host import host
from labkit.building import buildctx, dockerignore, frontapp
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine


def test_bulky_folder_is_sent_unless_ignored(lab: Lab) -> None:
    cases = buildctx.prepare_cases(lab, frontapp.copy_sample(lab), megabytes=20)
    runs = buildctx.compare_builds(lab, cases, tag="ctx-test:v", repeats=3)
    small, bulky, ignored = runs.runs
    assert bulky.context_bytes > small.context_bytes + 20e6
    assert abs(ignored.context_bytes - small.context_bytes) <= 10_240
    assert small.context_bytes < 100_000  # the project alone: a few kB, whatever the tar's padding
    assert bulky.fastest > small.fastest


def test_dockerfile_outside_the_context(lab: Lab) -> None:
    front = frontapp.copy_sample(lab)
    outside = lab.workdir("dockerfiles") / "front.Dockerfile"
    outside.write_text((front / "Dockerfile").read_text())
    built = lab.build(front, "ctx-test:f", dockerfile=str(outside))
    assert built.log.lines[-1].startswith("Successfully tagged ctx-test:f")
    peek = outside.with_name("peek.Dockerfile")
    peek.write_text("FROM labkit/busybox\nCOPY ../secret.env /\n")
    with pytest.raises(LabkitError, match="forbidden path outside the build context"):
        lab.build(front, "ctx-test:peek", dockerfile=str(peek))


def test_what_the_rules_send_is_what_lands_in_the_image(lab: Lab) -> None:
    sample = dockerignore.make_sample(lab)
    demo = lab.build(sample, "ctx-test:ignore")
    frame = dockerignore.agreement_frame(sample, dockerignore.files_in_image(lab, demo.tag))
    assert frame["agree"].all()
    assert frame["in image"].sum() == 7


def test_the_daemon_drops_dockerfile_and_dockerignore_when_listed(lab: Lab) -> None:
    listed = dockerignore.make_sample(
        lab, dockerignore.LECTURE_RULES + "Dockerfile\n.dockerignore\n", name="listed")
    demo = lab.build(listed, "ctx-test:listed")
    frame = dockerignore.agreement_frame(listed, dockerignore.files_in_image(lab, demo.tag))
    assert sorted(frame.loc[~frame["agree"], "path"]) == [".dockerignore", "Dockerfile"]


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")
def test_the_cli_go_matcher_agrees_with_the_sdk(lab: Lab) -> None:
    """The docker CLI applies the engine's own Go matcher; the SDK's port must agree."""
    sample = dockerignore.make_sample(lab)
    tag = lab.name("ctx-test:cli", "image")
    lab.record("image", id=None, tags=[tag], session=lab.session)
    env = ["env", "DOCKER_BUILDKIT=0"] if os.environ.get("DOCKER_BUILDKIT") != "1" else ["env"]
    host().run([*env, "docker", "build", "-q", "--network", "none", "-t", tag, str(sample)])
    in_image = set(dockerignore.files_in_image(lab, tag))
    assert in_image == set(buildctx.measure(sample).members)
