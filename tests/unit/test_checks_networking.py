"""checks_networking with fake containers: right answers pass, wrong ones get a hint."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labkit.lab.exercises import reset_tries
from labkit.networking import checks, judges

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer, info
from .fakes.host import FakeHost, link_json
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes
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


@pytest.fixture(autouse=True)
def fresh_tries() -> Iterator[None]:
    reset_tries()
    yield
    reset_tries()


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
    assert "embedded DNS" in result.hint and result.more == ""
    again = checks.check_reach_by_name("a", "b")
    assert "lab.network" in again.more and again.tries == 2
    assert pinged(engine["a"]) == []  # no lookup that Docker could not answer itself


def test_a_link_goes_one_way_only(engine: dict[str, FakeContainer]) -> None:
    engine["a"] = box("a", links=["/b:/a/b"])
    engine["b"] = box("b")
    result = checks.check_reach_by_name("a", "b")
    assert not result.passed and result.message.startswith("b has no way to resolve the name a")
    assert "one way only" in result.message


@pytest.mark.parametrize(("setup", "words"), [
    ({"a": box("a", nets=("n",))}, "no container 'b'"),
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


class StubLab:
    """The one Lab call check_publish makes: run(image, name=..., ports=...), recorded."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def run(self, image: str, *, name: str, ports: dict[str, Any]) -> FakeContainer:
        self.runs.append({"image": image, "name": name, "ports": ports})
        return box(name)


@pytest.mark.parametrize(("value", "words"), [
    ("8080:80", "every address of this machine"),
    ("80", "every address of this machine"),
    ("0.0.0.0:18140:80", "every address of this machine"),  # noqa: S104
    ("192.168.1.5:18140:80", "does not publish on"),
    ("127.0.0.1::80", "picks a free one at random"),
    ("127.0.0.1:80:18140", "swapped"),
    ("127.0.0.1:18141:80", "not 18140"),
    ("127.0.0.1:18140:80/udp", "HTTP runs over tcp"),
    ("127.0.0.1:18140", "would refuse"),  # Docker reads 127.0.0.1 as a host port
    ("localhost:18140:80", "would refuse"),
    ("127.0.0.1:18140-18141:80-81", "a range of ports"),
    (18140, "is not text"),
])
def test_a_wrong_publish_value_is_refused_before_anything_runs(value: Any, words: str) -> None:
    verdict = judges.judge_publish(value, 18140)
    assert isinstance(verdict, checks.CheckResult) and not verdict.passed
    assert words in verdict.message and verdict.hint


@pytest.mark.parametrize(("value", "parsed"), [
    ("127.0.0.1:18140:80", judges.Publish("127.0.0.1", 18140, 80)),
    ("8080:80/udp", judges.Publish("", 8080, 80, "udp")),
    ("80", judges.Publish("", None, 80)),
    ("127.0.0.1::80", judges.Publish("127.0.0.1", None, 80)),
    ("[::1]:18140:80", judges.Publish("::1", 18140, 80)),
])
def test_parse_publish_reads_docker_s_syntax(value: str, parsed: judges.Publish) -> None:
    assert judges.parse_publish(value) == parsed


def test_the_placeholder_is_not_answered_yet() -> None:
    verdict = judges.judge_publish(..., 18140)
    assert isinstance(verdict, checks.CheckResult) and verdict.message == "not answered yet"


def test_the_model_publish_value_runs_nginx_and_gets_through(
        engine: dict[str, FakeContainer], http_port: int) -> None:
    lab = StubLab()
    result = checks.check_publish(lab, f"127.0.0.1:{http_port}:80", http_port)  # type: ignore[arg-type]
    assert result.passed and "HTTP 200" in result.message
    assert lab.runs == [{"image": "labkit/nginx:1.22.1", "name": "ex-web",
                         "ports": {"80/tcp": ("127.0.0.1", http_port)}}]


def test_a_refused_value_starts_nothing(engine: dict[str, FakeContainer]) -> None:
    lab = StubLab()
    assert not checks.check_publish(lab, "18140:80", 18140).passed  # type: ignore[arg-type]
    assert lab.runs == []


def test_the_wrong_container_port_runs_and_gets_no_answer(engine: dict[str, FakeContainer]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lab = StubLab()
    first = checks.check_publish(lab, f"127.0.0.1:{port}:8080", port, wait=0.3)  # type: ignore[arg-type]
    assert not first.passed and "nothing answered there" in first.message
    assert "EXPOSE" in first.hint and first.more == ""
    second = checks.check_publish(lab, f"127.0.0.1:{port}:8080", port, wait=0.3)  # type: ignore[arg-type]
    assert "80/tcp" in second.more and second.tries == 2
    assert lab.runs[0]["ports"] == {"8080/tcp": ("127.0.0.1", port)}


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
    ("eth0", "eth0@ifN"), ("eth0@if11", "ifindex of the other end"),
    ("docker0", "veth + 7 hex digits"), ("veth2222222", "ifindex of the other end")])
def test_host_veth_wrong_answers_get_hints(answer: str, words: str) -> None:
    result = checks.check_host_veth("c", answer)
    assert not result.passed and words in result.hint
    if "ifindex" in words:
        assert "iflink" in checks.check_host_veth("c", answer).more


@pytest.mark.usefixtures("veth_of_c")
def test_host_veth_placeholder_and_container_object(engine: dict[str, FakeContainer]) -> None:
    assert checks.check_host_veth(engine["c"], ...).message == "not answered yet"
    assert checks.check_host_veth(engine["c"], "veth1111111").passed


@pytest.mark.usefixtures("veth_of_c")
def test_host_veth_of_a_container_without_one(engine: dict[str, FakeContainer]) -> None:
    engine["h"] = box("h", nets=("host",))  # no MAC address: no interface of its own
    result = checks.check_host_veth("h", "veth1111111")
    assert not result.passed and "no veth pair" in result.message


def test_reach_by_name_placeholders_and_one_container_twice(
        engine: dict[str, FakeContainer]) -> None:
    assert checks.check_reach_by_name(..., ...).message == "not answered yet"
    engine["a"] = box("a", nets=("n",))
    assert "same container twice" in checks.check_reach_by_name(engine["a"], "a").message


# -- 03.4 ----------------------------------------------------------------------------------
FACTS = judges.DnatFacts(port=18180, address="172.17.0.7", container_port=80,
                         gateway="172.17.0.1")


@pytest.mark.parametrize(("answer", "words"), [
    ("127.0.0.1:18180", "before DNAT"), ("172.17.0.7:18180", "before DNAT"),
    ("172.17.0.1:80", "bridge's own address"), ("172.17.0.7:8080", "listens on 80"),
    ("172.17.0.8:80", "no DNAT rule"), ("172.17.0.7", "not ADDRESS:PORT"),
    (80, "not ADDRESS:PORT"),
])
def test_wrong_dnat_destinations_say_what_they_are(answer: Any, words: str) -> None:
    first = judges.judge_dnat(FACTS, answer)
    assert not first.passed and words in first.message and "--dport 18180" in first.hint
    assert "--to-destination" in judges.judge_dnat(FACTS, answer).more


def test_the_dnat_destination_passes_and_the_placeholder_waits() -> None:
    assert judges.judge_dnat(FACTS, " 172.17.0.7:80 ".strip()).passed
    assert judges.judge_dnat(FACTS, ...).message == "not answered yet"


@pytest.mark.parametrize(("backend", "words"), [("iptables", "iptables -t nat -S DOCKER"),
                                               ("nftables", "nft list table ip docker-bridges")])
def test_check_dnat_reads_the_container_s_address(machine: FakeMachine, backend: str,
                                                  words: str) -> None:
    # The hint names the rule's words on the engine's firewall backend (facts().firewall).
    machine.engine = FakeClient(info(FirewallBackend={"Driver": backend}))
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    engine = machine.engine.containers.found
    engine["ex-dnat"] = FakeContainer("ex-dnat", networks={"bridge": {
        "IPAddress": "172.17.0.9", "Gateway": "172.17.0.1", "MacAddress": MAC}})
    target = checks.DnatTarget(engine["ex-dnat"], 18181)
    assert checks.check_dnat(target, "172.17.0.9:80").passed
    wrong = checks.check_dnat(target, "172.17.0.7:80")
    assert not wrong.passed and words in wrong.hint
    del engine["ex-dnat"]
    assert "is gone" in checks.check_dnat(target, "172.17.0.9:80").message


def test_judge_dnat_says_the_nftables_words() -> None:
    nft = judges.DnatFacts(18180, "172.17.0.7", 80, "172.17.0.1", nftables=True)
    first = judges.judge_dnat(nft, "127.0.0.1:18180")
    second = judges.judge_dnat(nft, "127.0.0.1:18180")
    assert "nat-prerouting-and-output" in first.hint and "dnat to" in second.more


# -- 03.5 ----------------------------------------------------------------------------------
TRUTH = {"lk-app finds db": True, "lk-app finds lk-db": True, "lk-db finds lk-app": False,
         "dns-a finds dns-b": True, "dns-a finds lk-db": False}


def test_the_right_prediction_passes_in_two_short_sentences() -> None:
    result = judges.judge_lookups(TRUTH, dict(TRUTH))
    assert result.passed and "all 5 predictions match" in result.message
    assert result.message.count(". ") <= 1 and len(result.message) < 200  # no wall of text


@pytest.mark.parametrize(("change", "words"), [
    ({"lk-db finds lk-app": True}, "'lk-db finds lk-app' is False"),
    ({"lk-app finds lk-db": False}, "'lk-app finds lk-db' is True"),
    ({"dns-a finds lk-db": True, "dns-a finds dns-b": False}, "2 of 5"),
])
def test_a_wrong_prediction_names_what_differs(change: dict[str, bool], words: str) -> None:
    guess = {**TRUTH, **change}
    first = judges.judge_lookups(TRUTH, guess)
    assert not first.passed and words in first.message and "/etc/hosts" in first.hint
    assert first.more == ""
    second = judges.judge_lookups(TRUTH, guess)
    for key in change:
        why = next(q for q in judges.QUESTIONS if q.key == key)
        assert (why.why_yes if TRUTH[key] else why.why_no) in second.more


@pytest.mark.parametrize(("prediction", "words"), [
    (..., "not answered yet"), ({**TRUTH, "lk-app finds db": ...}, "not answered yet"),
    ([True] * 5, "not a dict"), ({"lk-app finds db": True}, "no answer for"),
    ({**TRUTH, "dns-a finds dns-b": "yes"}, "not True or False"),
])
def test_a_prediction_that_is_not_one_yet(prediction: Any, words: str) -> None:
    assert words in judges.judge_lookups(TRUTH, prediction).message


def test_check_lookups_asks_each_question_in_the_live_containers(
        fakes: Callable[..., Fakes]) -> None:
    cli = CliEngine(FakeClient())
    fakes(client=cli.client, system=cli.system())
    for who in ("lk-app", "lk-db-s1", "dns-a"):
        cli.client.containers.found[who] = FakeContainer(who, status="running", running=True)
    answers = {("lk-app", "db"): 0, ("lk-app", "lk-db-s1"): 0, ("lk-db-s1", "lk-app"): 1,
               ("dns-a", "dns-b"): 0, ("dns-a", "lk-db-s1"): 1}
    for (who, name), code in answers.items():
        cli.answers[("docker", *checks.ping_argv(who, name))] = (code, "", "")
    puzzle = checks.Puzzle({"lk-db": "lk-db-s1", "lk-app": "lk-app", "dns-a": "dns-a",
                            "dns-b": "dns-b", "db": "db"}, "dns-net")
    assert checks.check_lookups(puzzle, dict(TRUTH)).passed
    ran = sorted(tuple(argv) for argv, _ in cli.calls)
    assert ran == sorted(("docker", "exec", who, "ping", "-c", "1", "-W", "2", name)
                         for who, name in answers)
    # the same containers answering otherwise: the check fails, naming what differs
    cli.answers[("docker", *checks.ping_argv("lk-db-s1", "lk-app"))] = (0, "", "")
    wrong = checks.check_lookups(puzzle, dict(TRUTH))
    assert not wrong.passed and "'lk-db finds lk-app' is True" in wrong.message
    cli.client.containers.found.clear()
    gone = checks.check_lookups(puzzle, dict(TRUTH))
    assert not gone.passed and "is gone" in gone.message


