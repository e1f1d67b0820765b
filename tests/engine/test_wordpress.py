"""The notes' two-tier app on the real engine: WordPress and MariaDB, by link and by network."""

from __future__ import annotations

import pytest

from labkit.base import containers, labels
from labkit.base.engine import client
from labkit.images import catalog
from labkit.lab.session import Lab
from labkit.networking import wordpress as wp

pytestmark = pytest.mark.engine

NOTES_DATABASES = {"information_schema", "db_wordpress", "mysql", "performance_schema"}


def _is_install_page(page: wp.InstallPage) -> bool:
    return (page.first == 302 and page.location == wp.INSTALL_PATH and page.status == 200
            and page.title == "WordPress \u203a Installation")


@pytest.mark.parametrize(("image", "argv", "claim"), [
    (wp.DB_IMAGE, ["mariadbd", "--version"], b"Ver 10.11."),
    (wp.WP_IMAGE, ["grep", "^\\$wp_version", "/usr/share/wordpress/wp-includes/version.php"],
     b"'6.1."),
])
def test_the_images_are_what_their_tags_claim(image: str, argv: list[str], claim: bytes) -> None:
    catalog.ensure([image], progress=lambda line: None)
    out = client().containers.run(image, argv, remove=True, stderr=True, network_mode="none")
    assert claim in out


@pytest.mark.parametrize(("image", "package", "logs", "listed"), [
    (wp.DB_IMAGE, "mariadb-server", "/var/lib/mysql", ""),
    (wp.WP_IMAGE, "wordpress", "/var/log/apache2", "access.log\nerror.log\n"),
])
def test_the_images_carry_no_datadir_no_install_logs_no_docs(
        image: str, package: str, logs: str, listed: str) -> None:
    def sh(script: str) -> str:
        return client().containers.run(image, ["sh", "-c", script], remove=True,
                                       network_mode="none").decode()

    assert sh(f"ls -A {logs}") == listed  # the postinst's datadir (or the logs) did not stay
    assert sh(f"test -e /usr/share/doc/{package} && echo docs; true") == ""
    assert sh(f"grep -c ' {package}:' /var/log/dpkg.log; true").strip() == "0"


def test_link_then_network_then_no_trace(lab: Lab) -> None:
    # 1. the notes' first way: --link on the default bridge
    db = wp.start_db(lab, name="t5-db_wordpress")
    names = wp.show_databases(lab, db, name="t5-client")
    assert NOTES_DATABASES <= set(names)
    site = wp.start_wordpress(lab, db, name="t5-wordpress")
    assert _is_install_page(wp.install_page(site))
    hosts = containers.get(site.container).exec_run(["cat", "/etc/hosts"])[1].decode()
    assert f"{wp.DB_NAME} " in hosts  # the link is a line in /etc/hosts
    web = containers.get(site.container)
    assert [(b.host_ip) for b in containers.published(web, "80/tcp")] == ["127.0.0.1"]
    assert containers.published(db) == []  # no -p 3306:3306

    # 2. the notes' second way: the user-defined network wp-net, names through Docker's DNS
    for name in (site.container, "t5-client", db.name):
        client().containers.get(name).remove(force=True)
    net = lab.network("t5-wp-net", subnet="auto")
    db = wp.start_db(lab, network=net.name, name="t5-db_wordpress")
    assert NOTES_DATABASES <= set(wp.show_databases(lab, db, network=net.name,
                                                    name="t5-client"))
    site = wp.start_wordpress(lab, db, network=net.name, name="t5-wordpress")
    assert _is_install_page(wp.install_page(site))
    hosts = containers.get(site.container).exec_run(["cat", "/etc/hosts"])[1].decode()
    assert db.name not in hosts  # nothing written: the embedded DNS answers
    log = client().containers.get(site.container).logs().decode()
    assert "AH00558" not in log  # ServerName is set: apache2 looked up no name

    # 3. the lesson's objects go, and only they
    lab.cleanup()
    left = client().containers.list(all=True, filters={"label": f"{labels.SESSION}={lab.session}"})
    nets = client().networks.list(filters={"label": f"{labels.SESSION}={lab.session}"})
    assert left == [] and nets == []


def test_a_learners_db_wordpress_is_left_alone(lab: Lab) -> None:
    theirs = client().containers.run("labkit/busybox", ["sleep", "300"], name="db_wordpress",
                                     detach=True, labels={"learner.owns": "yes"})
    try:
        db = wp.start_db(lab)
        assert db.name == f"db_wordpress-{lab.session}"
        # the link's alias is still the notes' name, so the client's -h db_wordpress works
        assert NOTES_DATABASES <= set(wp.show_databases(lab, db, name="t5-client"))
        lab.cleanup()
        theirs.reload()
        assert theirs.status == "running" and theirs.name == "db_wordpress"
    finally:
        theirs.remove(force=True)
