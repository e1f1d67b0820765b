"""The engine, the course images and the host, for real."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from labkit.base.errors import UnknownImage
from labkit.base.host import Host, host
from labkit.cli import provision
from labkit.images import build
from labkit.images import catalog as images
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine


def test_engine_up_uses_a_running_engine_as_it_is() -> None:
    assert "already answers" in provision.up(progress=lambda m: None)


def test_present_images_cost_under_two_seconds() -> None:
    images.ensure(progress=lambda m: None)
    started = time.monotonic()
    result = images.ensure(progress=lambda m: None)
    assert time.monotonic() - started < 2
    assert {r.state for r in result} == {"present"}


@pytest.mark.parametrize(("image", "argv", "claim"), [
    ("labkit/nginx:1.22.1", ["nginx", "-v"], b"nginx/1.22.1"),
    ("labkit/redis:7.0", ["redis-server", "--version"], b" v=7.0."),
])
def test_course_images_are_what_they_claim(image: str, argv: list[str], claim: bytes) -> None:
    from labkit.base.engine import client

    # The tag is the claim: the program inside reports that version itself.
    out = client().containers.run(image, argv, remove=True, stderr=True, stdout=True,
                                  network_mode="none")
    assert claim in out


@pytest.fixture
def official_look_alike(tmp_path):  # type: ignore[no-untyped-def]
    """A learner's `redis:7.0` (no /etc/redis), unless one is there already; removed after."""
    from labkit.base.engine import client

    if client().images.list(name="redis:7.0"):
        pytest.skip("this engine has an image redis:7.0 of its own")
    (tmp_path / "Dockerfile").write_text("FROM labkit/busybox\nRUN touch /learner-image\n")
    before = build.untagged_image_ids()
    image, _ = client().images.build(path=str(tmp_path), tag="redis:7.0", pull=False, rm=True,
                                     forcerm=True, network_mode="none",
                                     labels={"learner.owns": "yes"})
    build.drop_intermediates(image.id, before)  # the containerd store keeps its steps
    yield image.id
    client().images.remove("redis:7.0")


def test_an_official_look_alike_is_neither_used_nor_replaced(official_look_alike: str,
                                                              lab: Lab) -> None:
    from labkit.base.engine import client

    [st] = images.ensure(["redis"], progress=lambda m: None)
    assert st.name == "labkit/redis:7.0" and st.image_id != official_look_alike
    box = lab.run("labkit/redis:7.0", ["cat", "/etc/redis/redis.conf"], name="t-own-redis")
    assert box.wait()["StatusCode"] == 0
    assert client().images.get("redis:7.0").id == official_look_alike
    with pytest.raises(UnknownImage) as info:
        lab.run("redis")  # the course never falls back on the learner's image
    assert "labkit/redis:7.0" in info.value.hint


def test_helper_container_sees_the_same_host() -> None:
    local = {link["ifname"] for link in host().json(["ip", "-j", "link", "show"])}
    helper = {link["ifname"] for link in Host("helper").json(["ip", "-j", "link", "show"])}
    assert local == helper


def test_doctor_without_an_engine_says_what_to_do() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = subprocess.run([sys.executable, "-m", "labkit", "doctor"], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 1
    assert "labkit engine up" in proc.stdout and "Traceback" not in proc.stderr


def test_cli_reports_an_unreachable_engine_without_a_traceback() -> None:
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    proc = subprocess.run([sys.executable, "-m", "labkit", "images"], capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 2
    assert proc.stderr.startswith("labkit: No Docker Engine answers.")
    assert "Traceback" not in proc.stderr
