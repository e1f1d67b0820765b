"""The front-end app of chapter 01: its files, and what its nginx answers over HTTP.

Taught in: 01-building-images (a front-end image on labkit/nginx:1.22.1, its files listed with
`find`, its pages fetched from Python).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK, NoAnswer
from labkit.base.i18n import _
from labkit.base.show import sh
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


def parse_find(listing: str) -> list[tuple[str, int]]:
    """The (path, bytes) pairs of `find_argv`'s output, sorted by path.

    Raises:
        LabkitError: a line is not `SIZE<tab>PATH`.
    """
    files = []
    for line in listing.splitlines():
        size, tab, path = line.partition("\t")
        if not tab or not size.isdigit():
            raise LabkitError(_("Cannot read this line of `find -printf`: {line!r}.").format(
                                  line=line),
                              _("run the cell again; the host's find must be GNU find"))
        files.append((path, int(size)))
    return sorted(files)


def tree_frame(folder: str | Path, *, show: bool = False) -> pd.DataFrame:
    """The files under a folder with their sizes, sorted by path.

    Taught in: 01-building-images. With show, it runs `find FOLDER -type f -printf ...` on
    the host (the line and its output printed) and the table is that output, sorted;
    without, it reads the folder from Python.
    """
    root = Path(folder)
    if show:
        files = parse_find(sh(find_argv(root)).stdout)
    else:
        files = [(p.relative_to(root).as_posix(), p.stat().st_size)
                 for p in sorted(root.rglob("*")) if p.is_file()]
    return pd.DataFrame([{"path": path, "bytes": size} for path, size in files],
                        columns=["path", "bytes"])


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


def fetch_table(port: int, paths: list[str]) -> pd.DataFrame:
    """Fetch each path and tabulate status, Content-Type, size and whether it is index.html."""
    index = fetch(port, "/index.html")
    rows = []
    for path in paths:
        got = fetch(port, path)
        row = {k: v for k, v in asdict(got).items() if k != "body"}
        row["same body as index.html"] = got.body == index.body
        rows.append(row)
    return pd.DataFrame(rows)
