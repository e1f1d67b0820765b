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


class FlagsLab:
    """The Lab calls check_reach_by_name makes: run(image, command, name=..., flags=...),
    recorded; each starts a fake container on the networks its --network flags name, its
    --link flags recorded as Docker records them, pinging as PINGS says."""

    def __init__(self, engine: dict[str, FakeContainer],
                 pings: Callable[[str, str], bool] = lambda who, name: True) -> None:
        self.engine, self.pings = engine, pings
        self.runs: list[dict[str, Any]] = []

    def run(self, image: str, command: list[str], *, name: str,
            flags: list[str]) -> FakeContainer:
        from labkit.lab.flags import learner_flags

        flags = learner_flags(flags)
        self.runs.append({"image": image, "command": command, "name": name, "flags": flags})
        nets = tuple(v for k, v in zip(flags, flags[1:], strict=False) if k == "--network")
        links = [f"/{v.split(':')[0]}:/{name}/{v.split(':')[-1]}"
                 for k, v in zip(flags, flags[1:], strict=False) if k == "--link"]
        c = FakeContainer(name, status="running", running=True,
                          networks={n: {"MacAddress": ""} for n in nets or ("bridge",)},
                          links=links,
                          exec_answer=lambda cmd, who=name: (0 if self.pings(who, cmd[-1])
                                                             else 1, b""))
        self.engine[name] = c
        return c


MODEL_A = ["--network", "ex-net", "--network-alias", "store"]
MODEL_B = ["--network", "ex-net"]


def test_reach_by_name_passes_with_the_model_flags(engine: dict[str, FakeContainer]) -> None:
    lab = FlagsLab(engine)
    result = checks.check_reach_by_name(lab, MODEL_A, MODEL_B)  # type: ignore[arg-type]
    assert result.passed and "via network ex-net" in result.message, result
    assert "finds ex-a as store" in result.message
    assert [r["name"] for r in lab.runs] == ["ex-a", "ex-b"]
    assert lab.runs[0]["flags"] == MODEL_A and lab.runs[0]["command"] == ["sleep", "3600"]
    assert pinged(engine["ex-a"]) == ["ex-b"] and pinged(engine["ex-b"]) == ["ex-a", "store"]


def test_reach_by_name_rejects_the_default_bridge_without_asking_dns(
        engine: dict[str, FakeContainer]) -> None:
    lab = FlagsLab(engine)
    result = checks.check_reach_by_name(lab, [], [])  # type: ignore[arg-type]
    assert not result.passed and "default bridge has no DNS" in result.message
    assert "embedded DNS" in result.hint and result.more == ""
    again = checks.check_reach_by_name(lab, [], [])  # type: ignore[arg-type]
    assert "docker run flag" in again.more and again.tries == 2
    assert "--network" not in again.more  # narrows, never gives the flag
    assert pinged(engine["ex-a"]) == []  # no lookup that Docker could not answer itself


def test_a_link_goes_one_way_only(engine: dict[str, FakeContainer]) -> None:
    result = checks.check_reach_by_name(FlagsLab(engine), [], ["--link", "ex-a:store"])  # type: ignore[arg-type]
    assert not result.passed
    assert result.message.startswith("ex-a has no way to resolve the name ex-b")
    assert "one way only" in result.message


def test_the_alias_is_asked_for_and_hinted_at(engine: dict[str, FakeContainer]) -> None:
    lab = FlagsLab(engine, pings=lambda who, name: name != "store")
    first = checks.check_reach_by_name(lab, MODEL_B, MODEL_B)  # type: ignore[arg-type]
    assert not first.passed and "finds no store" in first.message and "name" in first.hint
    second = checks.check_reach_by_name(lab, MODEL_B, MODEL_B)  # type: ignore[arg-type]
    assert "alias" in second.more and "--network-alias" not in second.more


def test_a_link_to_ex_a_follows_the_name_the_lab_gave_it(
        engine: dict[str, FakeContainer]) -> None:
    class Renaming(FlagsLab):
        def run(self, image: str, command: list[str], *, name: str,
                flags: list[str]) -> FakeContainer:
            return super().run(image, command, name=f"{name}-s1", flags=flags)

    lab = Renaming(engine)
    checks.check_reach_by_name(lab, MODEL_A, [*MODEL_B, "--link", "ex-a:db"])  # type: ignore[arg-type]
    assert lab.runs[1]["flags"][-2:] == ["--link", "ex-a-s1:db"]


@pytest.mark.parametrize(("flags", "words"), [
    ("--network ex-net", "not a list of strings"),
    (["--privileged"], "is not needed here"),
    (["--dns", "8.8.8.8"], "is not needed here"),
    (["--network"], "needs a value"),
    (["-P"], "is not needed here"),
])
def test_flags_the_course_cannot_run_are_refused(engine: dict[str, FakeContainer], flags: Any,
                                                 words: str) -> None:
    lab = FlagsLab(engine)
    result = checks.check_reach_by_name(lab, flags, MODEL_B)  # type: ignore[arg-type]
    assert not result.passed and words in result.message and result.hint
    assert lab.runs == []


def test_reach_by_name_other_wrong_answers(engine: dict[str, FakeContainer]) -> None:
    lab = FlagsLab(engine, pings=lambda who, name: who != "ex-a")
    result = checks.check_reach_by_name(lab, MODEL_A, MODEL_B)  # type: ignore[arg-type]
    assert not result.passed and "ex-a cannot reach ex-b by name" in result.message


@pytest.fixture
def http_port() -> Iterator[int]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with serving(Quiet) as port:
        yield port


class StubLab:
    """The one Lab call check_publish makes: run(image, command, name=..., flags=...),
    recorded."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []

    def run(self, image: str, command: list[str], *, name: str,
            flags: list[str]) -> FakeContainer:
        self.runs.append({"image": image, "command": command, "name": name, "flags": flags})
        return box(name)


@pytest.mark.parametrize(("value", "words"), [
    ("8080:8081", "every address of this machine"),
    ("8081", "every address of this machine"),
    ("0.0.0.0:18147:8081", "every address of this machine"),  # noqa: S104
    ("192.168.1.5:18147:8081", "does not publish on"),
    ("127.0.0.2:18147:8081", "does not publish on"),
    ("127.0.0.1::8081", "picks a free one at random"),
    ("127.0.0.1:8081:18147", "swapped"),
    ("127.0.0.1:18141:8081", "not 18147"),
    ("127.0.0.1:18147:8081/udp", "HTTP runs over tcp"),
    ("127.0.0.1:18147", "would refuse"),  # Docker reads 127.0.0.1 as a host port
    ("localhost:18147:8081", "would refuse"),
    ("127.0.0.1:18147-18148:8081-8082", "a range of ports"),
    (18147, "is not text"),
])
def test_a_wrong_publish_value_is_refused_before_anything_runs(value: Any, words: str) -> None:
    verdict = judges.judge_publish(value, 18147, 8081)
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
    verdict = judges.judge_publish(..., 18147, 8081)
    assert isinstance(verdict, checks.CheckResult) and verdict.message == "not answered yet"


def test_publish_ports_picks_a_free_port_and_names_the_port_inside(
        capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    for _ in range(50):  # the range's first port taken by us, its second free (the machine's
        with socket.socket() as s:  # other sockets may hold any port: try again if so)
            s.bind(("127.0.0.1", 0))
            taken = s.getsockname()[1]
            s.listen()
            if taken < 65535 and checks._free(taken + 1):
                port, inside = checks.publish_ports(taken, taken + 1)
                break
    else:
        pytest.fail("found no free port next to a taken one in 50 tries")
    assert port == taken + 1 and inside == checks.INSIDE
    assert f"127.0.0.1:{port}" in capsys.readouterr().out


def test_the_model_publish_value_runs_the_server_and_gets_through(
        engine: dict[str, FakeContainer], http_port: int) -> None:
    lab = StubLab()
    value = f"127.0.0.1:{http_port}:8081"
    result = checks.check_publish(lab, value, http_port, 8081)  # type: ignore[arg-type]
    assert result.passed and "HTTP 200" in result.message
    assert [(r["image"], r["name"], r["flags"]) for r in lab.runs] == [
        ("labkit/busybox", "ex-web", ["-p", value])]
    assert "httpd -f -p 8081" in lab.runs[0]["command"][-1]


def test_a_refused_value_starts_nothing(engine: dict[str, FakeContainer]) -> None:
    lab = StubLab()
    assert not checks.check_publish(lab, "18140:8081", 18140, 8081).passed  # type: ignore[arg-type]
    assert lab.runs == []


def test_the_wrong_container_port_runs_and_gets_no_answer(engine: dict[str, FakeContainer]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lab = StubLab()
    first = checks.check_publish(lab, f"127.0.0.1:{port}:80", port, 8081, wait=0.3)  # type: ignore[arg-type]
    assert not first.passed and "nothing answered there" in first.message
    assert "printed" in first.hint and first.more == ""
    second = checks.check_publish(lab, f"127.0.0.1:{port}:80", port, 8081, wait=0.3)  # type: ignore[arg-type]
    assert "last part" in second.more and "8081" not in second.more and second.tries == 2
    assert lab.runs[0]["flags"] == ["-p", f"127.0.0.1:{port}:80"]


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
    ("eth0", "each other's ifindex"), ("eth0@if11", "each other's ifindex"),
    ("docker0", "veth + 7 hex digits"), ("veth2222222", "each other's ifindex")])
def test_host_veth_wrong_answers_get_hints(answer: str, words: str) -> None:
    result = checks.check_host_veth("c", answer)
    assert not result.passed and words in result.hint
    if "ifindex" in words:
        assert "eth0@if" in checks.check_host_veth("c", answer).more


@pytest.mark.usefixtures("veth_of_c")
def test_host_veth_placeholder_and_container_object(engine: dict[str, FakeContainer]) -> None:
    assert checks.check_host_veth(engine["c"], ...).message == "not answered yet"
    assert checks.check_host_veth(engine["c"], "veth1111111").passed


@pytest.mark.usefixtures("veth_of_c")
def test_host_veth_of_a_container_without_one(engine: dict[str, FakeContainer]) -> None:
    engine["h"] = box("h", nets=("host",))  # no MAC address: no interface of its own
    result = checks.check_host_veth("h", "veth1111111")
    assert not result.passed and "no veth pair" in result.message


def test_reach_by_name_placeholders_start_nothing(engine: dict[str, FakeContainer]) -> None:
    lab = FlagsLab(engine)
    assert checks.check_reach_by_name(lab, ..., ...).message == "not answered yet"  # type: ignore[arg-type]
    assert checks.check_reach_by_name(lab, [...], MODEL_B).message == "not answered yet"  # type: ignore[arg-type]
    assert lab.runs == []


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
    assert not first.passed and words in first.message and "port 18180" in first.hint
    second = judges.judge_dnat(FACTS, answer).more
    assert "--dport 18180" in second and "--to-destination" in second
    assert "172.17.0.7" not in first.hint + second  # narrows, never gives the answer


def test_the_dnat_destination_passes_and_the_placeholder_waits() -> None:
    assert judges.judge_dnat(FACTS, " 172.17.0.7:80 ".strip()).passed
    assert judges.judge_dnat(FACTS, ...).message == "not answered yet"


@pytest.mark.parametrize(("backend", "words"), [("iptables", "DOCKER chain"),
                                               ("nftables", "table ip docker-bridges")])
def test_check_dnat_reads_the_container_s_address(machine: FakeMachine, backend: str,
                                                  words: str) -> None:
    # The hint names the rule's words on the engine's firewall backend (facts().firewall).
    machine.engine = FakeClient(info(FirewallBackend={"Driver": backend}))
    machine.tools.update({"docker": "/usr/bin/docker", "iptables": "/usr/sbin/iptables"})
    engine = machine.engine.containers.found
    engine["ex-dnat"] = FakeContainer("ex-dnat", networks={"bridge": {
        "IPAddress": "172.17.0.9", "Gateway": "172.17.0.1", "MacAddress": MAC}})
    assert checks.check_dnat("ex-dnat", 18181, "172.17.0.9:80").passed
    wrong = checks.check_dnat("ex-dnat", 18181, "172.17.0.7:80")
    assert not wrong.passed and "port 18181" in wrong.hint
    assert words in checks.check_dnat("ex-dnat", 18181, "172.17.0.7:80").more
    del engine["ex-dnat"]
    assert "is gone" in checks.check_dnat("ex-dnat", 18181, "172.17.0.9:80").message


def test_judge_dnat_says_the_nftables_words() -> None:
    nft = judges.DnatFacts(18180, "172.17.0.7", 80, "172.17.0.1", nftables=True)
    first = judges.judge_dnat(nft, "127.0.0.1:18180")
    second = judges.judge_dnat(nft, "127.0.0.1:18180")
    assert "nat-prerouting-and-output" in second.more and "dnat to" in second.more
    assert first.more == "" and "printed" in first.hint


# -- 03.5 ----------------------------------------------------------------------------------
TRUTH = {"lk-app finds db": True, "lk-app finds lk-db": True, "lk-db finds lk-app": False,
         "dns-a finds dns-b": True, "dns-a finds lk-db": False}


def test_the_right_prediction_passes_in_two_short_sentences() -> None:
    result = judges.judge_lookups(TRUTH, dict(TRUTH))
    assert result.passed and "all 5 predictions match" in result.message
    assert result.message.count(". ") <= 1 and len(result.message) < 200  # no wall of text


@pytest.mark.parametrize(("change", "words", "families"), [
    ({"lk-db finds lk-app": True}, "1 of 5", ["1 of the --link"]),
    ({"lk-app finds lk-db": False}, "1 of 5", ["1 of the --link"]),
    ({"dns-a finds lk-db": True, "dns-a finds dns-b": False}, "2 of 5", ["2 of the dns-net"]),
    ({"lk-app finds db": False, "dns-a finds dns-b": False}, "2 of 5",
     ["1 of the --link", "1 of the dns-net"]),
])
def test_a_wrong_prediction_says_how_many_differ_never_which(
        change: dict[str, bool], words: str, families: list[str]) -> None:
    guess = {**TRUTH, **change}
    first = judges.judge_lookups(TRUTH, guess)
    assert not first.passed and words in first.message and "/etc/hosts" in first.hint
    assert first.more == ""
    second = judges.judge_lookups(TRUTH, guess)
    assert all(f in second.more for f in families), second.more
    for key in TRUTH:  # a True/False answer named would be given away
        assert key not in first.message + first.hint + second.more


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
    assert not wrong.passed and "1 of 5" in wrong.message
    cli.client.containers.found.clear()
    gone = checks.check_lookups(puzzle, dict(TRUTH))
    assert not gone.passed and "is gone" in gone.message


