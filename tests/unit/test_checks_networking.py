"""checks_networking with fake containers: right answers pass, wrong ones get a hint."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labkit.networking import checks

from .fakes import FakeClient, FakeContainer, FakeHost, Fakes, link_json
from .http_servers import serving

MAC = "02:42:ac:11:00:02"


def box(name: str, *, nets: tuple[str, ...] = ("bridge",), status: str = "running",
        links: list[str] | None = None, ping_ok: bool = True,
        ports: dict[str, Any] | None = None) -> FakeContainer:
    """A container on NETS whose pings (`docker exec ping`) succeed or fail."""
    return FakeContainer(name, status=status, running=status == "running",
                         networks={n: {"MacAddress": MAC if n == "bridge" else ""} for n in nets},
                         ports=ports, links=links, exec_answer=(0 if ping_ok else 1, b""))


def pinged(c: FakeContainer) -> list[str]:
    return [argv[-1] for argv in c.execs]


@pytest.fixture
def engine(fakes: Callable[..., Fakes]) -> dict[str, FakeContainer]:
    return fakes(client=FakeClient()).client.containers.found


def test_reach_by_name_passes_on_a_shared_network(engine: dict[str, FakeContainer]) -> None:
    engine["a"] = box("a", nets=("ex-net",))
    engine["b"] = box("b", nets=("ex-net",))
    result = checks.check_reach_by_name("a", "b")
    assert result.passed and "via network ex-net" in result.message
    assert pinged(engine["a"]) == ["b"] and pinged(engine["b"]) == ["a"]


def test_reach_by_name_rejects_the_default_bridge_without_asking_dns(
        engine: dict[str, FakeContainer]) -> None:
    engine["a"], engine["b"] = box("a"), box("b")
    result = checks.check_reach_by_name("a", "b")
    assert not result.passed and "default bridge has no DNS" in result.message
    assert "lab.network" in result.hint
    assert pinged(engine["a"]) == []  # no lookup that Docker could not answer itself


def test_a_link_goes_one_way_only(engine: dict[str, FakeContainer]) -> None:
    engine["a"] = box("a", links=["/b:/a/b"])
    engine["b"] = box("b")
    result = checks.check_reach_by_name("a", "b")
    assert not result.passed and result.message.startswith("b has no way to resolve the name a")


@pytest.mark.parametrize(("setup", "words"), [
    ({"a": box("a", nets=("n",))}, "no container called b"),
    ({"a": box("a", nets=("n",)), "b": box("b", nets=("n",), status="exited")},
     "b is not running"),
    ({"a": box("a", nets=("n",), ping_ok=False), "b": box("b", nets=("n",))},
     "a cannot reach b by name"),
])
def test_reach_by_name_other_wrong_answers(engine: dict[str, FakeContainer],
                                           setup: dict[str, FakeContainer], words: str) -> None:
    engine.update(setup)
    result = checks.check_reach_by_name("a", "b")
    assert not result.passed and words in result.message and result.hint


@pytest.fixture
def http_port() -> Iterator[int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with serving(Quiet) as port:
        yield port


def published(port: int, ip: str = "127.0.0.1") -> dict[str, Any]:
    return {"80/tcp": [{"HostIp": ip, "HostPort": str(port)}]}


def test_published_port_passes_when_a_request_gets_through(
        engine: dict[str, FakeContainer], http_port: int) -> None:
    engine["w"] = box("w", ports=published(http_port))
    result = checks.check_published_port("w", http_port)
    assert result.passed and "HTTP 200" in result.message


def test_published_port_rejects_a_missing_or_other_port(engine: dict[str, FakeContainer],
                                                        http_port: int) -> None:
    engine["w"] = box("w", ports={"80/tcp": None})
    result = checks.check_published_port("w", http_port)
    assert not result.passed and "publishes no port" in result.message
    assert 'ports={"80/tcp": PORT}' in result.hint
    engine["w"] = box("w", ports=published(http_port + 1))
    assert f"it publishes {http_port + 1}" in checks.check_published_port("w", http_port).message


def test_published_port_rejects_all_interfaces(engine: dict[str, FakeContainer]) -> None:
    engine["w"] = box("w", ports=published(18555, "0.0.0.0"))  # noqa: S104
    result = checks.check_published_port("w", 18555)
    assert not result.passed and "127.0.0.1 only" in result.hint


def test_published_port_without_a_listener(engine: dict[str, FakeContainer]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine["w"] = box("w", ports=published(port))
    result = checks.check_published_port("w", port, wait=0.3)
    assert not result.passed and "got no answer" in result.message and "80/tcp" in result.hint
    assert "got no answer (Connection refused)." in result.message


def test_published_port_unknown_container(engine: dict[str, FakeContainer]) -> None:
    assert "no container called" in checks.check_published_port("zz", 1).message


@pytest.fixture
def veth_of_c(fakes: Callable[..., Fakes], engine: dict[str, FakeContainer]) -> FakeHost:
    """Container c's eth0 (ifindex 10, MAC on the bridge network) and its host end, 11."""
    engine["c"] = box("c")
    host = [link_json(5, "docker0", kind="bridge"),
            link_json(11, "veth1111111", peer=10, master="docker0")]
    inside = [link_json(1, "lo", kind=""), link_json(10, "eth0", peer=11, mac=MAC)]
    return fakes(host=FakeHost({("ip", "-d", "-j", "addr"): json.dumps(host),
                                ("nsenter", "-t", "4242", "-n"): json.dumps(inside)})).host


def test_host_veth_right_answer(veth_of_c: FakeHost) -> None:
    assert checks.check_host_veth("c", "veth1111111").passed
    assert checks.check_host_veth("c", " veth1111111@if10 ").passed
    ip = ("ip", "-d", "-j", "addr", "show")
    assert veth_of_c.calls[:2] == [ip, ("nsenter", "-t", "4242", "-n", *ip)]


@pytest.mark.usefixtures("veth_of_c")
@pytest.mark.parametrize(("answer", "words"), [
    ("eth0", "the N in eth0@ifN"), ("eth0@if11", "ifindex on the host"),
    ("docker0", "veth + 7 hex digits"), ("veth2222222", "iflink")])
def test_host_veth_wrong_answers_get_hints(answer: str, words: str) -> None:
    result = checks.check_host_veth("c", answer)
    assert not result.passed and words in result.hint


@pytest.mark.usefixtures("veth_of_c")
def test_host_veth_of_a_container_without_one(engine: dict[str, FakeContainer]) -> None:
    engine["h"] = box("h", nets=("host",))  # no MAC address: no interface of its own
    result = checks.check_host_veth("h", "veth1111111")
    assert not result.passed and "no veth pair" in result.message
