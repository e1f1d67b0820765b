"""twotier against the real engine: the web tier reads and writes redis by container name."""

from __future__ import annotations

import pytest

from labkit.lab.session import Lab
from labkit.networking import twotier

pytestmark = pytest.mark.engine


def test_two_tiers_talk_by_name(lab: Lab) -> None:
    net = lab.network("t3-wp", subnet="auto")
    image = twotier.build_web_image(lab, "t3-web:test")
    app = twotier.start(lab, net.name, image, db="t3-db", web="t3-web")
    assert twotier.request(f"{app.url}/notes/x", "PUT", "stored by name") == (
        200, {"key": "x", "stored": "OK"})
    code, out = lab_container(app.db).exec_run(["redis-cli", "GET", "notes:x"])
    assert code == 0 and out.decode().strip() == "stored by name"
    status, body = twotier.request(f"{app.url}/")
    assert status == 200 and body["db"] == app.db and body["hits"] == 1
    db_ip = lab_container(app.db).attrs["NetworkSettings"]["Networks"][net.name]["IPAddress"]
    assert body["db_address"] == db_ip


def lab_container(name: str):  # type: ignore[no-untyped-def]
    from labkit.base.engine import client

    return client().containers.get(name)
