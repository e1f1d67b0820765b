"""The front-end app of chapter 01: its files, and what its nginx answers over HTTP.

Taught in: 01-building-images (a front-end image on labkit/nginx:1.22.1, its files listed with
`find`, its pages fetched from Python).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK, NoAnswer
from labkit.base.i18n import _
from labkit.base.wait import wait_for
from labkit.lab.session import Lab

SAMPLE = ("ch01", "front")
TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def copy_sample(lab: Lab, name: str = "front-app") -> Path:
    """Copy the course's front-end project (Dockerfile, nginx.conf, dist/) into a lesson folder.

    Returns:
        The folder: the build context of `front-app:v1`. Edit it freely; cleanup removes it.
    """
    folder = lab.workdir(name)
    source = resources.files("labkit").joinpath("assets", *SAMPLE)
    with resources.as_file(source) as path:
        shutil.copytree(path, folder, dirs_exist_ok=True)
    return folder


# `find` prints each file's size and its path below the folder, one per line (GNU find).
FIND_FORMAT = r"%s\t%P\n"


def find_argv(folder: str | Path) -> list[str]:
    r"""`find FOLDER -type f -printf '%s\t%P\n'`: every file under a folder with its size."""
    return ["find", str(folder), "-type", "f", "-printf", FIND_FORMAT]


def host_port(container: Container, container_port: str = "80/tcp") -> int:
    """The 127.0.0.1 port that Docker published for a container port.

    Raises:
        LabkitError: the port is not published.
    """
    for binding in containers.published(containers.get(container), container_port):
        if binding.host_ip in {LOOPBACK, ""}:
            return binding.host_port
    raise LabkitError(_("{container} does not publish {container_port} on 127.0.0.1.").format(
                          container=container.name, container_port=container_port),
                      _('run it with flags=["-p", "127.0.0.1::80"] (docker run -p 127.0.0.1::80)'))


@dataclass(frozen=True)
class Fetched:
    """One HTTP answer, reduced to what the lesson compares.

    Attributes:
        path: the requested path.
        status: the HTTP status code.
        content_type: the Content-Type header.
        bytes: the size of the body.
        title: the HTML <title>, if the body is a page.
        body: the body itself.
    """

    path: str
    status: int
    content_type: str
    bytes: int
    title: str
    body: bytes


def fetch(port: int, path: str, timeout: float = 5.0) -> Fetched:
    """GET http://127.0.0.1:PORT/PATH (loopback only) and keep status, type and body.

    Raises:
        NoAnswer: nothing answers HTTP on that port.
    """
    answer = http.get(f"http://{LOOPBACK}:{port}{path}", timeout=timeout)
    found = TITLE.search(answer.body)
    title = found.group(1).decode(errors="replace").strip() if found else ""
    return Fetched(path, answer.status, answer.header("Content-Type"), len(answer.body), title,
                   answer.body)


def wait_until_serving(port: int, timeout: float = 20.0,
                       container: Container | None = None) -> None:
    """Wait until something answers HTTP on 127.0.0.1:PORT.

    Args:
        port: the published port.
        timeout: seconds to wait.
        container: the server's container: stop waiting as soon as it has exited.

    Raises:
        LabkitError: nothing answered in time, or the container exited.
    """

    def serving() -> bool:
        try:
            fetch(port, "/", timeout=2)
            return True
        except NoAnswer:
            if container is not None:
                container.reload()
                if container.status in {"exited", "dead"}:
                    raise LabkitError(_("{container} exited instead of serving.").format(
                                          container=container.name),
                                      _("read its log: `docker logs {container}`").format(
                                          container=container.name)) from None
            return False

    wait_for(f"HTTP on {LOOPBACK}:{port}", serving, timeout=timeout, interval=0.2,
             message=_("Nothing answers HTTP on {loopback}:{port}.").format(
                         loopback=LOOPBACK, port=port),
             hint=_("look at the container's log: `docker logs front`"))

