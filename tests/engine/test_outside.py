"""The outside world for real: SNAT is visible, two worlds can exist at once."""

from __future__ import annotations

import json

import pytest

from labkit.lab.session import Lab
from labkit.lessons.outside import outside_world

pytestmark = pytest.mark.engine


def test_a_container_is_seen_with_the_hosts_address(lab: Lab) -> None:
    world = outside_world(lab)
    box = lab.run("labkit/busybox", ["sleep", "60"], name="t-out")
    code, out = box.exec_run(["timeout", "10", "wget", "-qO-", world.url])
    assert code == 0 and json.loads(out)["client_address"] == world.host_address


def test_two_chapters_can_each_have_a_world(lab: Lab) -> None:
    other = Lab("98")
    try:
        first = outside_world(lab)
        second = outside_world(other)
        assert first.server_address != second.server_address
        assert first.netns != second.netns and first.host_link != second.host_link
        box = other.run("labkit/busybox", ["sleep", "60"], name="t-out2")
        code, out = box.exec_run(["timeout", "10", "wget", "-qO-", second.url])
        assert code == 0 and json.loads(out)["client_address"] == second.host_address
    finally:
        other.cleanup()
