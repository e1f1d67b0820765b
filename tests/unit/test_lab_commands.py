"""labkit.lab.commands: the `docker` line each Lab call stands for."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from docker.types import IPAMConfig, IPAMPool

from labkit.base.errors import LabkitError
from labkit.lab import commands, session

from .fakes import FakeClient, Fakes


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, fakes: Callable[..., Fakes]) -> FakeClient:
    """A fake engine whose every image counts as local.

    Making sure of a course image is images.ensure's (test_images), which also fetches chapter
    01's busybox-static on this machine: not these tests' business.
    """
    monkeypatch.setattr(session, "require_local_image", lambda image: None)
    return fakes(client=FakeClient()).client


def test_run_line_shows_name_network_ports_and_command() -> None:
    argv = commands.run_argv(
        "labkit/nginx:1.22.1", ["nginx", "-g", "daemon off;"], name="web",
        ports={"80/tcp": ("127.0.0.1", 8080), "53/udp": ("127.0.0.1", None)}, detach=True,
        dns_default=True,
        options={"network": "front", "labels": {"io.labkit.course": "x"}, "dns": ["127.0.0.1"],
                 "environment": {"DB_HOST": "db"}, "remove": False})
    assert argv == ["docker", "run", "-d", "--name", "web", "--network", "front",
                    "-e", "DB_HOST=db", "-p", "127.0.0.1:8080:80", "-p", "127.0.0.1::53/udp",
                    "labkit/nginx:1.22.1", "nginx", "-g", "daemon off;"]


def test_run_line_shows_a_lessons_own_dns_and_switches() -> None:
    argv = commands.run_argv("labkit/busybox", "nslookup web", name=None, ports=None,
                             detach=False, dns_default=False,
                             options={"dns": ["10.213.0.53"], "remove": True,
                                      "network_mode": "none", "links": {"db": "database"}})
    assert argv == ["docker", "run", "--dns", "10.213.0.53", "--rm", "--network", "none",
                    "--link", "db:database", "labkit/busybox", "nslookup", "web"]


def test_run_refuses_an_option_it_cannot_show() -> None:
    with pytest.raises(ValueError, match="volumes="):
        commands.run_argv("labkit/busybox", None, name=None, ports=None, detach=True,
                          dns_default=True, options={"volumes": {"/x": {}}})


def test_network_volume_build_and_tag_lines() -> None:
    assert commands.network_argv("lab", subnet="10.213.4.0/24", host_binding="127.0.0.1",
                                 driver="bridge") == [
        "docker", "network", "create", "--subnet", "10.213.4.0/24",
        "-o", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1", "lab"]
    assert commands.volume_argv("data") == ["docker", "volume", "create", "data"]
    assert commands.build_argv("/tmp/ctx", "app:v1", dockerfile="Dockerfile.dev",
                               platform="linux/arm64", buildargs={"V": "1"}) == [
        "docker", "build", "-t", "app:v1", "-f", "Dockerfile.dev", "--build-arg", "V=1",
        "--platform", "linux/arm64", "/tmp/ctx"]
    assert commands.tag_argv("app:v1", "127.0.0.1:5000/app:v1") == [
        "docker", "tag", "app:v1", "127.0.0.1:5000/app:v1"]


def test_lab_calls_print_their_docker_line(engine: FakeClient,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    fake = engine
    lab = session.Lab("03", session="s0a0b0c")
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet="10.213.9.0/24")])
    lab.network("wired", ipam=ipam)
    lab.run("labkit/busybox", ["sleep", "60"], name="box", network="wired")
    lab.run("labkit/busybox", ["true"], show=False)
    assert capsys.readouterr().out.splitlines() == [
        "$ docker network create --subnet 10.213.9.0/24 wired",
        "$ docker run -d --name box --network wired labkit/busybox sleep 60",
    ]
    (image, command), options = fake.containers.created[0]
    assert (image, command, options["name"]) == ("labkit/busybox", ["sleep", "60"], "box")
    assert options["dns"] == ["127.0.0.1"] and options["labels"]["io.labkit.session"] == "s0a0b0c"
    (name,), net_options = fake.networks.created[0]
    assert name == "wired" and net_options["labels"]["io.labkit.session"] == "s0a0b0c"
    assert len(fake.containers.created) == 2


def test_a_link_whose_alias_is_the_name_is_shown_short() -> None:
    argv = commands.run_argv("labkit/mariadb:10.11", None, name="wordpress", ports=None,
                             detach=True, dns_default=True,
                             options={"links": {"db_wordpress": "db_wordpress", "c1": "up"}})
    assert argv == ["docker", "run", "-d", "--name", "wordpress", "--link", "db_wordpress",
                    "--link", "c1:up", "labkit/mariadb:10.11"]


def test_a_container_joining_anothers_network_gets_no_dns_of_ours(
        engine: FakeClient, capsys: pytest.CaptureFixture[str]) -> None:
    """Docker refuses --dns beside --network container:NAME; that container has c1's resolver."""
    fake = engine
    lab = session.Lab("04", session="s0a0b0c")
    lab.run("labkit/busybox", ["sleep", "60"], name="side", network_mode="container:c1")
    assert capsys.readouterr().out.splitlines() == [
        "$ docker run -d --name side --network container:c1 labkit/busybox sleep 60"]
    _, options = fake.containers.created[0]
    assert "dns" not in options and options["network_mode"] == "container:c1"


def test_build_line_for_buildkit_and_for_classic_asked_by_name() -> None:
    assert commands.build_argv("/ctx", "app:v1", builder="buildkit", no_cache=True) == [
        "docker", "buildx", "build", "--progress=plain", "--no-cache", "-t", "app:v1", "/ctx"]
    assert commands.build_argv("/ctx", "app:v1", builder="classic",
                               env={"DOCKER_BUILDKIT": "0"}) == [
        "DOCKER_BUILDKIT=0", "docker", "build", "-t", "app:v1", "/ctx"]


def test_the_classic_line_says_so_where_docker_build_is_buildkit() -> None:
    assert commands.classic_env("buildkit") == {"DOCKER_BUILDKIT": "0"}
    assert commands.classic_env("classic") == {}


def test_a_port_goes_on_a_lesson_link_address_only_when_the_lab_allows_it(
        engine: FakeClient, capsys: pytest.CaptureFixture[str]) -> None:
    """03's DNAT lesson publishes on the host's end of the outside world's link, nowhere else."""
    fake = engine
    lab = session.Lab("03", session="s0a0b0c")
    both = {"80/tcp": [("127.0.0.1", 18080), ("203.0.113.1", 18080)]}
    with pytest.raises(LabkitError, match="203.0.113.1"):
        lab.run("labkit/nginx:1.22.1", name="front", ports=both)
    with pytest.raises(LabkitError, match="not a lesson link address"):
        lab.allow_publishing_on("192.168.1.10")
    lab.allow_publishing_on("203.0.113.1")
    lab.run("labkit/nginx:1.22.1", name="front", ports=both)
    assert capsys.readouterr().out.splitlines() == [
        "$ docker run -d --name front -p 127.0.0.1:18080:80 -p 203.0.113.1:18080:80 "
        "labkit/nginx:1.22.1"]
    _, options = fake.containers.created[0]
    assert options["ports"] == both
    with pytest.raises(LabkitError):  # still never every interface
        lab.run("labkit/nginx:1.22.1", name="front", ports={"80/tcp": [("0.0.0.0", 18080)]})
