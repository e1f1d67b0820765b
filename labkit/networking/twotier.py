"""The two-tier app of chapter 03, rebuilt offline: a web tier and its redis, talking by name.

Taught in: 03-networking. The lecture notes run WordPress and MySQL; the course builds the
same shape from Debian packages: labkit/redis:7.0 as the database and
labkit/networking/webtier.py on labkit/python:3.11-slim as the web tier, both on one
user-defined network.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from typing import Any

from labkit.base import http
from labkit.base.http import LOOPBACK
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import webtier
from labkit.networking.probes import wait_http

IMAGE = "twotier-web:v1"
WEB_PORTS = (18100, 18119)


@dataclass(frozen=True)
class TwoTier:
    """The running app.

    Attributes:
        network: the user-defined network both tiers are on.
        db: the database container's name (the web tier's DB_HOST).
        web: the web container's name.
        url: the web tier, published on 127.0.0.1.
    """

    network: str
    db: str
    web: str
    url: str


def build_web_image(lab: Lab, tag: str = IMAGE) -> str:
    """`docker build` the web tier's image (webtier.py as /app/app.py); returns its name."""
    context = lab.workdir("web-image")
    folder = resources.files("labkit") / "assets" / "ch03" / "web"
    (context / "Dockerfile").write_bytes((folder / "Dockerfile").read_bytes())
    shutil.copyfile(webtier.__file__, context / "app.py")
    result = lab.build(context, tag)
    return result.tags[0]


def start(lab: Lab, network: str, image: str = IMAGE, *, db: str = "db",
          web: str = "web") -> TwoTier:
    """Run the database, then the web tier with DB_HOST set to the database's name.

    Returns:
        The app, once the web tier answers on 127.0.0.1.
    """
    database = lab.run("labkit/redis:7.0", name=db, network=network)
    port = free_port(*WEB_PORTS)
    front = lab.run(image, name=web, network=network, environment={"DB_HOST": database.name},
                    ports={"8000/tcp": (LOOPBACK, port)})
    app = TwoTier(network, database.name, front.name, f"http://{LOOPBACK}:{port}")
    wait_http(app.url + "/notes/ready", accept=(200, 404))
    return app


def request(url: str, method: str = "GET", body: str | None = None) -> tuple[int, Any]:
    """One HTTP request to a lesson service on 127.0.0.1; returns (status, JSON body).

    An empty body comes back as None.

    Raises:
        LabkitError: the URL is not on this machine (NotLoopback), or nothing answers
            (NoAnswer).
    """
    answer = http.request(url, method, body=body)
    return answer.status, answer.json() if answer.body else None
