"""wordpress: the notes' variables, link or network wiring, waits that end, the install page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.base.http import NotLoopback
from labkit.base.wait import WaitTimeout
from labkit.networking import wordpress as wp

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.clock import FakeClock
from .fakes.seam import Fakes
from .http_servers import QuietHandler, serving

TABLE = """+--------------------+
| Database           |
+--------------------+
| db_wordpress       |
| information_schema |
| mysql              |
| performance_schema |
| sys                |
+--------------------+"""


class LoggedContainer(FakeContainer):
    """A FakeContainer with a log (the SDK's `logs()` returns bytes)."""

    def __init__(self, name: str, log: str = "", **facts: Any) -> None:
        super().__init__(name, **facts)
        self.log = log

    def logs(self, **_: Any) -> bytes:
        return self.log.encode()


class RecordingLab:
    """Lab.run's signature; each call is recorded and answered with the next container."""

    def __init__(self, *made: FakeContainer) -> None:
        self.made = list(made)
        self.runs: list[tuple[str, Any, dict[str, Any]]] = []

    def run(self, image: str, command: Sequence[str] | None = None, **kwargs: Any) -> Any:
        self.runs.append((image, command, kwargs))
        return self.made.pop(0)


def test_the_notes_variables() -> None:
    assert wp.db_environment() == {"MYSQL_ROOT_PASSWORD": "wordpress",
                                   "MYSQL_DATABASE": "db_wordpress",
                                   "MYSQL_USER": "wordpress_rw", "MYSQL_PASSWORD": "123456"}
    assert wp.wp_environment("db_wordpress") == {
        "WORDPRESS_DB_HOST": "db_wordpress:3306", "WORDPRESS_DB_USER": "wordpress_rw",
        "WORDPRESS_DB_PASSWORD": "123456", "WORDPRESS_DB_NAME": "db_wordpress"}


def test_a_link_gives_the_notes_alias_a_network_gives_the_name() -> None:
    # a learner owns db_wordpress, so the lesson's database got a suffix: the link's alias
    # is still the notes' name, while on wp-net the DNS name is the container's own
    assert wp.wiring("db_wordpress-s1a2b3c", None) == (
        ["--link", "db_wordpress-s1a2b3c:db_wordpress"], "db_wordpress")
    assert wp.wiring("db_wordpress-s1a2b3c", "wp-net") == (
        ["--network", "wp-net"], "db_wordpress-s1a2b3c")
    # where the name is the alias, the link is written short, as the notes write it
    assert wp.wiring("db_wordpress", None) == (["--link", "db_wordpress"], "db_wordpress")


def test_start_db_publishes_no_port_and_waits_for_tcp(clock: FakeClock) -> None:
    pings = []

    def ping(cmd: list[str]) -> tuple[int, str]:
        pings.append(cmd)
        return (0, "mysqld is alive") if len(pings) == 3 else (1, "Can't connect")

    db = LoggedContainer("db_wordpress", exec_answer=ping)
    lab = RecordingLab(db)
    assert wp.start_db(lab, network="wp-net") is db  # type: ignore[arg-type]
    [(image, command, kwargs)] = lab.runs
    assert image == "labkit/mariadb:10.11" and command is None
    # the notes' order: --name, --network, then the -e options; no -p (3306:3306 is needless)
    assert kwargs == {"name": "db_wordpress", "flags": [
        "--network", "wp-net", "-e", "MYSQL_ROOT_PASSWORD=wordpress",
        "-e", "MYSQL_DATABASE=db_wordpress", "-e", "MYSQL_USER=wordpress_rw",
        "-e", "MYSQL_PASSWORD=123456"]}
    assert pings[0][:4] == ["mariadb-admin", "--protocol=tcp", "-h", "127.0.0.1"]
    assert pings[0][-3:] == ["-uroot", "-pwordpress", "ping"]  # no "Access denied" in its log
    assert len(pings) == 3 and clock.sleeps == [0.2, 0.2]  # polled: it answers within seconds


def test_a_database_that_exits_ends_the_wait_with_its_log(clock: FakeClock) -> None:
    db = LoggedContainer("db_wordpress", "labkit/mariadb: no root password is set",
                         running=False, exit_code=1, exec_answer=(1, ""))
    with pytest.raises(wp.Stopped) as info:
        wp.start_db(RecordingLab(db))  # type: ignore[arg-type]
    assert "exit 1" in info.value.message and "no root password" in info.value.message
    assert "docker logs db_wordpress" in info.value.hint
    assert clock.sleeps == [] and db.execs == []


def test_a_database_that_never_answers_gives_up_in_time(clock: FakeClock) -> None:
    db = LoggedContainer("db_wordpress", exec_answer=(1, "Can't connect"))
    with pytest.raises(WaitTimeout) as info:
        wp.start_db(RecordingLab(db), timeout=5)  # type: ignore[arg-type]
    assert "port 3306" in info.value.message and "docker logs db_wordpress" in info.value.hint
    assert sum(clock.sleeps) == pytest.approx(5)


def test_parse_table_reads_the_values_not_the_borders_or_the_header() -> None:
    assert wp.parse_table(TABLE) == ["db_wordpress", "information_schema", "mysql",
                                     "performance_schema", "sys"]
    assert wp.parse_table("") == []


def docker_logs(fakes: Callable[..., Fakes], log: str) -> CliEngine:
    """The docker CLI, whose `docker logs mysql-client` prints LOG."""
    cli = CliEngine(FakeClient())
    fakes(system=cli.system())
    cli.answers[("docker", "logs", "mysql-client")] = (0, log, "")
    return cli


def test_show_databases_through_the_link(clock: FakeClock, fakes: Callable[..., Fakes],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    client = LoggedContainer("mysql-client", "", running=False)
    lab = RecordingLab(client)
    cli = docker_logs(fakes, TABLE + "\n")
    names = wp.show_databases(lab, "db_wordpress")  # type: ignore[arg-type]
    assert [argv for argv, _ in cli.calls] == [["docker", "logs", "mysql-client"]]
    assert "db_wordpress" in names and "mysql" in names
    [(image, command, kwargs)] = lab.runs
    assert image == "labkit/mariadb:10.11"
    assert command == ["mariadb", "-h", "db_wordpress", "-uroot", "-pwordpress", "--table",
                       "-e", "SHOW DATABASES"]
    assert kwargs == {"name": "mysql-client", "flags": ["--link", "db_wordpress"]}
    out = capsys.readouterr().out
    assert out.startswith("$ docker logs mysql-client\n") and "| db_wordpress       |" in out


def test_show_databases_on_a_network_uses_the_containers_name(
        clock: FakeClock, fakes: Callable[..., Fakes]) -> None:
    client = LoggedContainer("mysql-client", "", running=False)
    lab = RecordingLab(client)
    docker_logs(fakes, TABLE)
    wp.show_databases(lab, LoggedContainer("db_wordpress-s1a2b3c"),  # type: ignore[arg-type]
                      network="wp-net")
    [(_, command, kwargs)] = lab.runs
    assert command[:3] == ["mariadb", "-h", "db_wordpress-s1a2b3c"]
    assert kwargs["flags"] == ["--network", "wp-net"]


def test_a_client_that_fails_raises_after_showing_why(
        clock: FakeClock, fakes: Callable[..., Fakes],
        capsys: pytest.CaptureFixture[str]) -> None:
    error = "ERROR 2005 (HY000): Unknown server host 'db_wordpress' (-2)"
    client = LoggedContainer("mysql-client", "", running=False, exit_code=1)
    cli = docker_logs(fakes, "")
    cli.answers[("docker", "logs", "mysql-client")] = (0, "", error + "\n")  # its stderr
    with pytest.raises(LabkitError, match="exit 1"):
        wp.show_databases(RecordingLab(client), "db_wordpress")  # type: ignore[arg-type]
    assert error in capsys.readouterr().out


def test_a_client_that_hangs_gives_up_in_time(clock: FakeClock) -> None:
    client = LoggedContainer("mysql-client")  # still running
    with pytest.raises(LabkitError, match="did not finish within 30 s"):
        wp.show_databases(RecordingLab(client), "db_wordpress")  # type: ignore[arg-type]
    assert sum(clock.sleeps) == pytest.approx(30)


def test_wordpress_is_published_on_loopback_and_a_stopped_one_says_so(clock: FakeClock) -> None:
    web = LoggedContainer("wordpress", "AH00526: Syntax error", running=False, exit_code=1)
    lab = RecordingLab(web)
    with pytest.raises(wp.Stopped, match="Syntax error"):
        wp.start_wordpress(lab, "db_wordpress")  # type: ignore[arg-type]
    [(image, _, kwargs)] = lab.runs
    assert image == "labkit/wordpress:6.1"
    flags = kwargs["flags"]
    assert flags[:2] == ["--link", "db_wordpress"] and flags[-2] == "-p"
    assert flags[flags.index("-e") + 1] == "WORDPRESS_DB_HOST=db_wordpress:3306"
    assert flags.count("-e") == 4
    address, port, inside = flags[-1].split(":")
    assert (address, inside) == ("127.0.0.1", "80")
    assert wp.WEB_PORTS[0] <= int(port) <= wp.WEB_PORTS[1]


INSTALL = (b"<!DOCTYPE html><html><head><title>WordPress &rsaquo; Installation</title>"
           b"</head><body>...</body></html>")


class _NotInstalled(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        host = self.headers["Host"]
        if self.path == "/":
            self.reply(302, headers=(("Location", f"http://{host}/wp-admin/install.php"),))
        elif self.path == "/wp-admin/install.php":
            self.reply(200, INSTALL, (("Content-Type", "text/html; charset=UTF-8"),))
        else:
            self.reply(404)


def test_install_page_follows_the_one_redirect_on_the_same_site() -> None:
    with serving(_NotInstalled) as port:
        page = wp.install_page(wp.Site("wordpress", f"http://127.0.0.1:{port}"))
    assert page == wp.InstallPage(302, "/wp-admin/install.php", 200,
                                  "WordPress \u203a Installation")
    assert str(page) == ("GET / -> 302, Location: /wp-admin/install.php\n"
                         "GET /wp-admin/install.php -> 200, title: WordPress \u203a Installation")


class _Elsewhere(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.reply(302, headers=(("Location", "http://wordpress.example/wp-admin/"),))


def test_a_redirect_off_the_site_is_never_followed() -> None:
    with serving(_Elsewhere) as port, pytest.raises(NotLoopback, match="wordpress.example"):
        wp.install_page(wp.Site("wordpress", f"http://127.0.0.1:{port}"))


class _NoDatabase(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.reply(500, b"<html><head><title>Database Error</title></head>"
                   b"<body><h1>Error establishing a database connection</h1></body></html>")


def test_a_wordpress_without_its_database_says_where_to_look() -> None:
    with serving(_NoDatabase) as port, pytest.raises(LabkitError) as info:
        wp.install_page(wp.Site("wordpress", f"http://127.0.0.1:{port}"))
    assert "500: Database Error" in info.value.message
    assert "WORDPRESS_DB_HOST" in info.value.hint


@pytest.mark.parametrize("text,title", [
    ("<title>WordPress &rsaquo; Installation</title>", "WordPress \u203a Installation"),
    ("<TITLE lang='en'>\n  two\n  lines </TITLE>", "two lines"),
    ("<p>no title</p>", ""),
])
def test_page_title(text: str, title: str) -> None:
    assert wp.page_title(text) == title
