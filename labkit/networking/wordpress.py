"""The lecture notes' two-tier app: WordPress and its database, by `--link`, then on `wp-net`.

Taught in: 03-networking (container to container). The notes pull `mysql:8.0` and a WordPress
image from a registry; the course builds both from Debian bookworm's packages instead:
`labkit/mariadb:10.11` (MySQL is not in Debian; MariaDB, its fork, speaks the same protocol
and SQL) and `labkit/wordpress:6.1` (Debian's wordpress on apache2 and PHP). Both read the
notes' environment variables. The database publishes no port: the client container and
WordPress reach it over the bridge, by the name a link or the network's DNS gives it.
WordPress is published on 127.0.0.1 only, and its configuration forbids requests outside.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.show import docker
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port

DB_IMAGE = "labkit/mariadb:10.11"
WP_IMAGE = "labkit/wordpress:6.1"
DB_NAME = "db_wordpress"  # the notes' container name, and the alias `--link` gives it
DB_PORT = 3306
WEB_PORTS = (18160, 18179)
INSTALL_PATH = "/wp-admin/install.php"
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Credentials:
    """The notes' accounts: root's password, the database, its user and that user's password."""

    root_password: str = "wordpress"
    database: str = "db_wordpress"
    user: str = "wordpress_rw"
    password: str = "123456"


NOTES = Credentials()


def db_environment(creds: Credentials = NOTES) -> dict[str, str]:
    """The database container's `-e` variables, as the notes set them (MYSQL_*)."""
    return {"MYSQL_ROOT_PASSWORD": creds.root_password, "MYSQL_DATABASE": creds.database,
            "MYSQL_USER": creds.user, "MYSQL_PASSWORD": creds.password}


def wp_environment(db_host: str, creds: Credentials = NOTES) -> dict[str, str]:
    """WordPress's `-e` variables: where its database is (`NAME:3306`) and how to log in."""
    return {"WORDPRESS_DB_HOST": f"{db_host}:{DB_PORT}", "WORDPRESS_DB_USER": creds.user,
            "WORDPRESS_DB_PASSWORD": creds.password, "WORDPRESS_DB_NAME": creds.database}


def env_flags(variables: Mapping[str, str]) -> list[str]:
    """`-e NAME=VALUE` for each variable, in order (the notes' `docker run -e` options)."""
    return [word for key, value in variables.items() for word in ("-e", f"{key}={value}")]


def wiring(db: Container | str, network: str | None) -> tuple[list[str], str]:
    """How a container reaches the database: (its `docker run` flags, the host name to use).

    On a user-defined network, the database's own name (Docker's DNS answers it); without
    one, `--link NAME:db_wordpress` on the default bridge (a line in /etc/hosts; `--link
    db_wordpress` where the name is the alias).
    """
    name = db if isinstance(db, str) else db.name
    if network:
        return ["--network", network], name
    return ["--link", name if name == DB_NAME else f"{name}:{DB_NAME}"], DB_NAME


def _logs(container: Container, lines: int = 8) -> str:
    raw = container.logs(stdout=True, stderr=True, tail=lines)
    return raw.decode(errors="replace").rstrip()


class Stopped(LabkitError):
    """A lesson container stopped while the lesson waited for it."""


def _running(container: Container) -> None:
    current = containers.state(container)
    if not current.running:
        raise Stopped(
            _("{name} stopped (exit {exit_code}):\n{container}").format(
                name=container.name, exit_code=current.exit_code, container=_logs(container)
            ),
            _("read its whole log: docker logs {name}").format(name=container.name),
        )


def wait_db(container: Container, creds: Credentials = NOTES, timeout: float = 90) -> None:
    """Wait until the database accepts TCP connections on port 3306 (its first start
    initialises the datadir on a socket only, so TCP answers once the accounts exist).

    It asks as root, with the password (a ping without one works too, but each leaves an
    "Access denied" line in the server's log).

    Raises:
        Stopped: the container exited (its log's last lines are in the message).
        WaitTimeout: it did not answer within `timeout` seconds.
    """
    ping = ["mariadb-admin", "--protocol=tcp", "-h", "127.0.0.1", f"-P{DB_PORT}",
            "--connect-timeout=2", "-uroot", f"-p{creds.root_password}", "ping"]

    def accepts() -> bool:
        _running(container)
        code, _ignored = container.exec_run(ping)
        return code == 0

    wait_for(f"{container.name} to accept connections on port {DB_PORT}", accepts,
             timeout=timeout, interval=0.2,
             hint=f"read its log (docker logs {container.name}); on a slow disk the first "
             "start takes longer: run the cell again")


def start_db(lab: Lab, *, network: str | None = None, name: str = DB_NAME,
             creds: Credentials = NOTES, timeout: float = 90) -> Container:
    """`docker run -d --name db_wordpress -e MYSQL_...`: the database, once it accepts connections.

    No `-p 3306:3306`: the containers that use it are on the same bridge.

    Args:
        lab: the lesson.
        network: a user-defined network to start it on (default: the default bridge).
        name: the container's name.
        creds: the accounts its first start creates.
        timeout: seconds to wait for it.
    """
    # the notes' order: --name, --network, then the -e options
    on = ["--network", network] if network else []
    container = lab.run(DB_IMAGE, name=name, flags=[*on, *env_flags(db_environment(creds))])
    wait_db(container, creds, timeout)
    return container


def parse_table(text: str) -> list[str]:
    """The values of a one-column `mariadb --table` answer ("| db_wordpress |" lines)."""
    rows = [line.strip("| ").rstrip() for line in text.splitlines()
            if line.startswith("|")]
    return [row.strip() for row in rows[1:]]  # the first row is the column's name


def _exited(container: Container, timeout: float) -> int:
    def done() -> int | None:
        current = containers.state(container)
        return None if current.running or current.status == "created" else current.exit_code

    try:
        return wait_for(f"{container.name} to finish", done, timeout=timeout, interval=0.1)
    except WaitTimeout:
        raise LabkitError(
            _("{name} did not finish within {timeout:.0f} s.").format(
                name=container.name, timeout=timeout
            ),
            _("is the database running? `docker ps`, then run the cell again"),
        ) from None


def show_databases(lab: Lab, db: Container | str, *, network: str | None = None,
                   name: str = "mysql-client", creds: Credentials = NOTES,
                   timeout: float = 30) -> list[str]:
    """A client container runs `mariadb -h HOST -uroot -p... -e 'SHOW DATABASES'` once, as
    the notes' mysql-client does; the `docker run` and `docker logs` lines and its answer
    are printed.

    Args:
        lab: the lesson.
        db: the database container.
        network: its user-defined network (default: reach it through `--link`).
        name: the client container's name.
        creds: root's password.
        timeout: seconds for the client to finish.

    Returns:
        The database names it listed.

    Raises:
        LabkitError: the client failed (it could not resolve or reach the database, or was
            refused); its output says why.
    """
    reach, host = wiring(db, network)
    query = ["mariadb", "-h", host, "-uroot", f"-p{creds.root_password}", "--table",
             "-e", "SHOW DATABASES"]
    client = lab.run(DB_IMAGE, query, name=name, flags=reach)
    code = _exited(client, timeout)
    shown = docker(["logs", client.name])
    text = shown.stdout + shown.stderr
    if code != 0:
        raise LabkitError(
            _("The client could not list the databases on {host} (exit {code}).").format(
                host=host, code=code
            ),
            _("read its answer above; is the database running (`docker ps`)?"),
        )
    return parse_table(text)


@dataclass(frozen=True)
class Site:
    """WordPress, running.

    Attributes:
        container: its container's name.
        url: where it is published, on 127.0.0.1.
    """

    container: str
    url: str


def start_wordpress(lab: Lab, db: Container | str, *, network: str | None = None,
                    name: str = "wordpress", creds: Credentials = NOTES,
                    timeout: float = 60) -> Site:
    """`docker run -d --name wordpress -e WORDPRESS_DB_HOST=...:3306 ... -p 127.0.0.1:PORT:80`.

    Args:
        lab: the lesson.
        db: the database container.
        network: its user-defined network (default: `--link` on the default bridge).
        name: the container's name.
        creds: the database user WordPress logs in as.
        timeout: seconds to wait for apache2 to answer.

    Returns:
        The site, once apache2 answers HTTP (whatever WordPress says).

    Raises:
        Stopped: the container exited; WaitTimeout: nothing answered in time.
    """
    reach, host = wiring(db, network)
    port = free_port(*WEB_PORTS)
    container = lab.run(WP_IMAGE, name=name, flags=[*reach, *env_flags(wp_environment(host, creds)),
                                                    "-p", f"{LOOPBACK}:{port}:80"])
    site = Site(container.name, f"http://{LOOPBACK}:{port}")

    def answers() -> http.Response:
        _running(container)
        return http.get(site.url + "/", timeout=5)

    wait_for(f"{site.container} to answer on {site.url}", answers, timeout=timeout,
             interval=0.2, retry_on=(http.NoAnswer,),
             hint=f"read its log: docker logs {site.container}")
    return site


@dataclass(frozen=True)
class InstallPage:
    """What WordPress answers before it is installed: a redirect, then the install page.

    Attributes:
        first: the status of `GET /`.
        location: the path it redirected to ("" when it did not).
        status: the status of the page itself.
        title: the page's <title>, unescaped.
    """

    first: int
    location: str
    status: int
    title: str

    def __str__(self) -> str:
        """Two lines, one per request (no port, no host: they vary)."""
        lines = []
        if self.location:
            lines.append(f"GET / -> {self.first}, Location: {self.location}")
        lines.append(f"GET {self.location or '/'} -> {self.status}, title: {self.title}")
        return "\n".join(lines)


def page_title(text: str) -> str:
    """A page's <title>, entities unescaped and spaces folded ("" when it has none)."""
    found = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(html.unescape(found.group(1)).split()) if found else ""


def _same_site(location: str, site: Site) -> str:
    """The path of a redirect that stays on the site; anything else is refused."""
    target = urllib.parse.urlsplit(urllib.parse.urljoin(site.url + "/", location))
    if target.scheme != "http" or target.netloc != urllib.parse.urlsplit(site.url).netloc:
        raise http.NotLoopback(
            _("WordPress redirected to {location}, not to {url}.").format(
                location=location, url=site.url
            ),
            _(http.NOT_HERE_HINT),
        )
    return target.path + (f"?{target.query}" if target.query else "")


def install_page(site: Site) -> InstallPage:
    """GET / from 127.0.0.1, follow its one redirect (on the same site only), read the title.

    Raises:
        LabkitError: WordPress answered with an error (it could not reach its database), or
            redirected off the site (NotLoopback).
    """
    first = http.get(site.url + "/")
    location, page = "", first
    if first.status in REDIRECTS:
        location = _same_site(first.header("Location"), site)
        page = http.get(site.url + location)
    title = page_title(page.text)
    if page.status >= 500:
        raise LabkitError(
            _("WordPress answered {status}: {value}.").format(
                status=page.status, value=title or page.reason
            ),
            _(
                "it cannot reach its database: check WORDPRESS_DB_HOST and `docker "
                "logs {container}`"
            ).format(container=site.container),
        )
    return InstallPage(first.status, location, page.status, title)
