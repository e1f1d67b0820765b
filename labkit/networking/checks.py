"""Exercise checks of 03-networking: reach by name, publish a port, find a host veth, read a
DNAT rule, predict what `--link` and a user-defined network resolve.

Taught in: 03-networking (exercises). Each `check_*` reads the live system (the learner's own
containers, or ones the check starts fresh so that no earlier output answers it) and hands what
it found to a `judge_*` function that needs no engine (the unit tests call the judges with
made-up facts). A placeholder left as `...` is "not answered yet". A check only ever talks to
the learner's containers and to 127.0.0.1, and asks a container to look a name up only where
Docker itself answers it (the course's containers use 127.0.0.1 as their DNS server, so no
query leaves the machine).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docker.models.containers import Container
from docker.utils.ports import split_port

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import firewall, netinspect, nftables

REACH = "03.1 reach by name"
PUBLISH = "03.2 publish a port"
VETH_EX = "03.3 which veth"
DNAT_EX = "03.4 read a DNAT rule"
LOOKUPS = "03.5 --link or a network"
DEFAULT_NETWORKS = {"bridge", "host", "none"}


def _container(answer: Any) -> Container | None:
    """The container an answer stands for: a Container, or the name of one."""
    if isinstance(answer, Container):
        return containers.find(answer.name)
    if isinstance(answer, str):
        return containers.find(answer)
    return None


# -- 03.1 -------------------------------------------------------------------------------
def _user_networks(c: Container) -> set[str]:
    return {n for n in containers.endpoints(c) if n not in DEFAULT_NETWORKS}


def _linked(c: Container, target: Container) -> bool:
    """True when C was started with --link to TARGET (its /etc/hosts names it)."""
    for link in c.attrs["HostConfig"].get("Links") or []:
        if link.split(":", 1)[0].lstrip("/") == target.name:
            return True
    return False


def _ping(c: Container, name: str) -> bool:
    code, _ = c.exec_run(["ping", "-c", "1", "-W", "2", name])
    return code == 0


def check_reach_by_name(first: Any, second: Any) -> CheckResult:
    """Exercise 03.1: FIRST and SECOND (containers or their names) reach each other by
    container name, both ways."""
    if is_unanswered(first) or is_unanswered(second):
        return unanswered(REACH, "two containers started with lab.run(...)")
    pair = [(x, _container(x)) for x in (first, second)]
    for given, c in pair:
        if c is None:
            what = given.name if isinstance(given, Container) else repr(given)
            return failed(REACH, f"there is no container {what}",
                          "assign what lab.run(\"labkit/busybox\", [\"sleep\", \"3600\"], "
                          "name=...) returns")
    a, b = pair[0][1], pair[1][1]
    assert a is not None and b is not None
    if a.name == b.name:
        return failed(REACH, "that is the same container twice", "start a second one")
    not_running = [c.name for c in (a, b) if c.status != "running"]
    if not_running:
        return failed(REACH, f"{not_running[0]} is not running",
                      'give it a command that keeps running, e.g. ["sleep", "3600"]')
    shared = _user_networks(a) & _user_networks(b)
    for src, dst in ((a, b), (b, a)):
        if not shared and not _linked(src, dst):
            one_way = " (a --link goes one way only)" if _linked(dst, src) else ""
            return failed(REACH, f"{src.name} has no way to resolve the name {dst.name}{one_way}:"
                          " they share no user-defined network, and the default bridge has no "
                          "DNS", "which kind of network has Docker's embedded DNS server?",
                          "create one with lab.network(\"ex-net\", subnet=\"auto\") and start "
                          "both containers with network=that_network.name")
        if not _ping(src, dst.name):
            return failed(REACH, f"{src.name} cannot reach {dst.name} by name",
                          "use labkit/busybox containers (they have ping), both running on one "
                          "user-defined network")
    via = f"network {sorted(shared)[0]}" if shared else "--link"
    return passed(REACH, f"{a.name} and {b.name} reach each other by name (via {via})")


# -- 03.2 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Publish:
    """A `docker run -p` value, read as Docker reads it: `[[IP:]HOSTPORT:]CONTAINERPORT[/PROTO]`.

    Attributes:
        host_ip: the host address ("" when the value names none: every address).
        host_port: the host port (None when Docker would pick one).
        container_port: the port inside the container.
        proto: tcp, udp or sctp.
    """

    host_ip: str
    host_port: int | None
    container_port: int
    proto: str = "tcp"

    @property
    def key(self) -> str:
        """The SDK's name for the container port, e.g. "80/tcp"."""
        return f"{self.container_port}/{self.proto}"


def parse_publish(text: str) -> Publish | None:
    """A `-p` value as a Publish, or None when it is not one port Docker would accept.

    Parsed by docker-py's own `split_port` (the SDK's reading of the CLI's syntax).
    """
    try:
        inside, outside = split_port(text.strip())
    except ValueError:
        return None
    if len(inside) != 1:
        return None  # a range of ports
    port, _, proto = str(inside[0]).partition("/")
    published = outside[0] if outside else None
    address, host_port = published if isinstance(published, tuple) else ("", published)
    return Publish(str(address or "").strip("[]"), int(host_port) if host_port else None,
                   int(port), proto or "tcp")


def judge_publish(value: Any, port: int) -> CheckResult | Publish:
    """Judge a `-p` value before anything runs: a verdict, or the Publish that is safe to run.

    Args:
        value: the learner's answer, e.g. "127.0.0.1:18140:80".
        port: the host port the exercise asks for.
    """
    if is_unanswered(value):
        return unanswered(PUBLISH, "the value of docker run's -p option, as text")
    if not isinstance(value, str):
        return failed(PUBLISH, f"{value!r} is not text", "write it as docker run's -p takes "
                      "it, in quotes")
    p = parse_publish(value)
    syntax = "-p takes [ADDRESS:][HOSTPORT:]CONTAINERPORT, left to right: host side first"
    if p is None and "-" in value:
        return failed(PUBLISH, f"-p {value} publishes a range of ports, and the exercise asks for "
                      "one", syntax)
    if p is None:
        return failed(PUBLISH, f"docker run would refuse -p {value}", syntax)
    if p.host_ip in {"", "0.0.0.0", "::"}:
        return failed(PUBLISH, f"-p {value} publishes on every address of this machine "
                      "(0.0.0.0), so anyone on your network could reach nginx; the check does "
                      "not run it", "name the host address to listen on: the first part of "
                      "the value", "the loopback address, 127.0.0.1, is reachable from this "
                      "machine only")
    if p.host_ip != LOOPBACK:
        return failed(PUBLISH, f"-p {value} would listen on {p.host_ip}, an address the course "
                      "does not publish on; the check does not run it",
                      "the course publishes on this machine's loopback address only")
    if p.host_port is None:
        return failed(PUBLISH, f"with no host port, Docker picks a free one at random, not "
                      f"{port}", syntax)
    if p.host_port != port and p.container_port == port:
        return failed(PUBLISH, f"-p {value} publishes host port {p.host_port} and sends it to "
                      f"port {p.container_port} in the container: the two are swapped", syntax)
    if p.host_port != port:
        return failed(PUBLISH, f"-p {value} publishes host port {p.host_port}, not {port}", syntax)
    if p.proto != "tcp":
        return failed(PUBLISH, f"-p {value} forwards {p.proto}, and HTTP runs over tcp",
                      "leave the protocol out (tcp is the default) or write /tcp")
    return p


def _get_status(port: int, wait: float) -> tuple[int | None, str]:
    """GET / on 127.0.0.1:PORT, trying again for WAIT seconds (a new server needs a moment)."""
    url = f"http://{LOOPBACK}:{port}/"
    try:
        return wait_for(url, lambda: http.get(url).status, timeout=wait, interval=0.2,
                        retry_on=(http.NoAnswer,)), ""
    except WaitTimeout as exc:
        return None, exc.last.reason if isinstance(exc.last, http.NoAnswer) else "no answer"


def check_publish(lab: Lab, value: Any, port: int, wait: float = 5) -> CheckResult:
    """Exercise 03.2: judge the `-p` VALUE; if it is safe, start nginx (`ex-web`) with it and
    ask 127.0.0.1:PORT for its front page.

    Args:
        lab: the chapter's Lab (the container is labelled and cleaned up with it).
        value: the learner's `-p` value, e.g. "127.0.0.1:18140:80".
        port: the host port the exercise asks for.
        wait: seconds to keep trying while nginx starts.
    """
    verdict = judge_publish(value, port)
    if isinstance(verdict, CheckResult):
        return verdict
    web = lab.run("labkit/nginx:1.22.1", name="ex-web",
                  ports={verdict.key: (verdict.host_ip, verdict.host_port)})
    status, error = _get_status(port, wait)
    if status is None:
        return failed(PUBLISH, f"127.0.0.1:{port} leads to port {verdict.container_port} in "
                      f"{web.name}, and nothing answered there ({error})",
                      "which port does nginx listen on inside its container? `docker image "
                      "inspect` lists the ports an image EXPOSEs",
                      "the image EXPOSEs 80/tcp: that is the value's last part")
    return passed(PUBLISH, f"-p {value}: a request to 127.0.0.1:{port} reached nginx in "
                  f"{web.name} on port {verdict.container_port} (HTTP {status}), and no other "
                  "address of this machine publishes it")


# -- 03.3 -------------------------------------------------------------------------------
VETH = re.compile(r"^veth[0-9a-f]{7}$")


def new_stranger(lab: Lab) -> Container:
    """03.3's start: a fresh container `stranger` on the default bridge. Its veth pair is new
    each time the cell runs, so no earlier output names it."""
    return lab.run("labkit/busybox", ["sleep", "3600"], name="stranger")


def judge_host_veth(name: str, right: str, answer: Any) -> CheckResult:
    """Is ANSWER the host end (RIGHT) of container NAME's veth pair?"""
    if is_unanswered(answer):
        return unanswered(VETH_EX, "the name of the host's end, as text, e.g. \"veth1a2b3c4\"")
    if not isinstance(answer, str):
        return failed(VETH_EX, f"{answer!r} is not an interface name", "give it as text")
    answer = answer.strip()
    iflink = ("the N in the container's eth0@ifN is the ifindex of the other end, on the host",
              "read /sys/class/net/eth0/iflink inside the container, then find that ifindex "
              "in the host's `ip -j link`")
    if answer.split("@")[0] == right:
        return passed(VETH_EX, f"{answer} is the host end of {name}'s eth0")
    if answer.startswith("eth0"):
        return failed(VETH_EX, "eth0 is the container's end of the pair", *iflink)
    if not VETH.match(answer.split("@")[0]):
        return failed(VETH_EX, f"{answer!r} is not a veth name like veth1a2b3c4",
                      "host ends are named veth + 7 hex digits; see `ip -br link show type veth`")
    return failed(VETH_EX, f"{answer} is a different veth (another container's, or none)", *iflink)


def check_host_veth(container: Any, answer: Any) -> CheckResult:
    """Exercise 03.3: ANSWER names the host's end of CONTAINER's veth pair."""
    c = _container(container)
    if c is None:
        return failed(VETH_EX, f"there is no container {container!r}",
                      "run the cell from the top: it starts `stranger` afresh")
    try:
        right = netinspect.host_veth(c)
    except netinspect.NoVethPair:
        return failed(VETH_EX, f"{c.name} has no veth pair (host, none or container: mode)",
                      "pick a container on a bridge network")
    except LabkitError as exc:
        return failed(VETH_EX, exc.message, exc.hint)
    return judge_host_veth(c.name, right, answer)


# -- 03.4 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DnatTarget:
    """03.4's container: nginx published on 127.0.0.1:port, fresh each time.

    Attributes:
        container: the container (ex-dnat).
        port: its host port on 127.0.0.1.
    """

    container: Container
    port: int


def new_dnat_target(lab: Lab) -> DnatTarget:
    """03.4's start: a fresh nginx `ex-dnat` published on 127.0.0.1 on a free port (shown),
    and the command that lists the nat rules on this engine's firewall backend.

    Its address is new each time the cell runs; the check reads it from the engine."""
    port = free_port(18180, 18199)
    box = lab.run("labkit/nginx:1.22.1", name="ex-dnat", ports={"80/tcp": port})
    print("Docker's nat rules are listed by: " + " ".join(firewall.command("nat")))
    return DnatTarget(box, port)


@dataclass(frozen=True)
class DnatFacts:
    """What the DNAT rule of a published port should send packets to.

    Attributes:
        port: the published host port.
        address: the container's address on its bridge.
        container_port: the port nginx listens on inside (80).
        gateway: the bridge's own address (a wrong answer worth naming).
        nftables: whether the engine keeps its rules in nftables (Docker 29's backend), which
            says the rule in other words (`dnat to` instead of `--to-destination`).
    """

    port: int
    address: str
    container_port: int
    gateway: str
    nftables: bool = False


def judge_dnat(f: DnatFacts, answer: Any) -> CheckResult:
    """Is ANSWER ("ADDRESS:PORT") where the DNAT rule for f.port sends packets?"""
    target = "dnat to" if f.nftables else "--to-destination"
    if is_unanswered(answer):
        return unanswered(DNAT_EX, f"the rule's {target}, as text: \"ADDRESS:PORT\"")
    right = f"{f.address}:{f.container_port}"
    if f.nftables:
        rule = ("Docker's nftables table holds one DNAT rule per published port in chain "
                "nat-prerouting-and-output; `nft list table ip docker-bridges` lists them, and "
                f"the one with `dport {f.port}` is yours")
    else:
        rule = (f"the nat table's DOCKER chain holds one DNAT rule per published port; "
                f"`iptables -t nat -S DOCKER` lists them, and the one with --dport {f.port} "
                "is yours")
    more = f"the answer is the text after {target} in that rule"
    if not isinstance(answer, str) or ":" not in answer:
        return failed(DNAT_EX, f"{answer!r} is not ADDRESS:PORT", rule, more)
    address, _, port = answer.strip().rpartition(":")
    if answer.strip() == right:
        return passed(DNAT_EX, f"a packet for 127.0.0.1:{f.port} leaves PREROUTING or OUTPUT "
                      f"with its destination rewritten to {right}, the container's address")
    if address in {LOOPBACK, "0.0.0.0"} or port == str(f.port):
        return failed(DNAT_EX, f"{answer} is where the packet was going before DNAT, not after",
                      rule, more)
    if address == f.gateway:
        return failed(DNAT_EX, f"{f.gateway} is the bridge's own address (the host's side), "
                      "not the container's", rule, more)
    if address == f.address:
        return failed(DNAT_EX, f"the address is right, but nginx listens on "
                      f"{f.container_port} inside, not on {port}", rule, more)
    return failed(DNAT_EX, f"no DNAT rule for port {f.port} sends packets to {answer}", rule, more)


def check_dnat(target: DnatTarget, answer: Any) -> CheckResult:
    """Exercise 03.4: ANSWER is where the DNAT rule for TARGET's port sends packets."""
    c = containers.find(target.container.name)
    if c is None:
        return failed(DNAT_EX, f"{target.container.name} is gone",
                      "run the exercise's first cell again (it starts ex-dnat afresh)")
    net = next(iter(containers.endpoints(c).values()), None)
    if net is None or not net.address:
        return failed(DNAT_EX, f"{c.name} has no address", "run the exercise's first cell again")
    return judge_dnat(DnatFacts(target.port, net.address, 80, net.gateway,
                                nftables.in_use()), answer)


# -- 03.5 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """One question of 03.5: does container WHO find NAME?

    Attributes:
        key: the question as the learner's prediction names it, e.g. "lk-app finds db".
        who, name: the base names (made unique by the Lab where a learner owns them).
        why_yes, why_no: what explains each outcome.
    """

    key: str
    who: str
    name: str
    why_yes: str
    why_no: str


QUESTIONS = (
    Lookup("lk-app finds db", "lk-app", "db",
           "--link lk-db:db wrote the alias db into lk-app's /etc/hosts",
           "--link lk-db:db did not take"),
    Lookup("lk-app finds lk-db", "lk-app", "lk-db",
           "the line --link writes holds the linked container's name too, beside the alias",
           "--link writes the alias only"),
    Lookup("lk-db finds lk-app", "lk-db", "lk-app",
           "a link goes both ways",
           "a link goes one way: only lk-app's /etc/hosts got a line; the default bridge has "
           "no DNS for lk-db to ask"),
    Lookup("dns-a finds dns-b", "dns-a", "dns-b",
           "dns-net is a user-defined network: Docker's DNS at 127.0.0.11 answers with the "
           "address of every container on it",
           "dns-net's embedded DNS is not answering"),
    Lookup("dns-a finds lk-db", "dns-a", "lk-db",
           "a network's DNS knows every container",
           "a network's DNS answers only for containers on that network, and lk-db is on the "
           "default bridge"),
)


@dataclass(frozen=True)
class Puzzle:
    """03.5's containers, started fresh by `new_link_puzzle`.

    Attributes:
        names: {base name: the name the container really has}.
        network: the name of the user-defined network (dns-net).
    """

    names: Mapping[str, str]
    network: str


def new_link_puzzle(lab: Lab) -> Puzzle:
    """03.5's start: `lk-db`, and `lk-app` linked to it as `db`, on the default bridge;
    `dns-a` and `dns-b` on a user-defined network `dns-net`. Every command is shown."""
    sleep = ["sleep", "3600"]
    db = lab.run("labkit/busybox", sleep, name="lk-db")
    app = lab.run("labkit/busybox", sleep, name="lk-app", links={db.name: "db"})
    net = lab.network("dns-net", subnet="auto")
    a = lab.run("labkit/busybox", sleep, name="dns-a", network=net.name)
    b = lab.run("labkit/busybox", sleep, name="dns-b", network=net.name)
    return Puzzle({"lk-db": db.name, "lk-app": app.name, "dns-a": a.name, "dns-b": b.name,
                   "db": "db"}, net.name)


def _bad_prediction(prediction: Any) -> CheckResult | None:
    """The verdict on a prediction that is not (yet) True/False for every question, else None."""
    keys = [q.key for q in QUESTIONS]
    if is_unanswered(prediction) or (isinstance(prediction, Mapping) and any(
            v is Ellipsis for v in prediction.values())):
        return unanswered(LOOKUPS, "True or False for each question")
    if not isinstance(prediction, Mapping):
        return failed(LOOKUPS, f"{prediction!r} is not a dict", "keep the dict and fill in "
                      "True or False for each question")
    missing = [k for k in keys if k not in prediction]
    if missing:
        return failed(LOOKUPS, f"the prediction has no answer for {missing[0]!r}",
                      "keep every question of the dict")
    odd = [k for k in keys if not isinstance(prediction[k], bool)]
    if odd:
        return failed(LOOKUPS, f"the answer to {odd[0]!r} is {prediction[odd[0]]!r}, not True or "
                      "False", "answer each question with True or False")
    return None


def judge_lookups(found: Mapping[str, bool], prediction: Any) -> CheckResult:
    """Compare the learner's PREDICTION ({question: True/False}) with what FOUND says."""
    bad = _bad_prediction(prediction)
    if bad is not None:
        return bad
    wrong = [q for q in QUESTIONS if prediction[q.key] != found[q.key]]
    if not wrong:
        return passed(LOOKUPS, "every prediction matches what the containers found: "
                      + "; ".join(q.why_yes if found[q.key] else q.why_no for q in QUESTIONS))
    said = ", ".join(f"{q.key!r} is {found[q.key]}" for q in wrong)
    more = "; ".join(q.why_yes if found[q.key] else q.why_no for q in wrong)
    return failed(LOOKUPS, f"{len(wrong)} of {len(QUESTIONS)} predictions differ from what the "
                  f"containers found: {said}",
                  "a --link writes lines into the /etc/hosts of the container that asked for "
                  "it; a user-defined network's DNS answers for the containers on it", more)


def lookups(puzzle: Puzzle) -> dict[str, bool]:
    """Ask each question of 03.5 in the live containers (`ping -c 1 -W 2 NAME` in WHO)."""
    found = {}
    for q in QUESTIONS:
        c = containers.find(puzzle.names[q.who])
        if c is None:
            raise LabkitError(f"{puzzle.names[q.who]} is gone.",
                              "run the exercise's first cell again (it starts them afresh)")
        found[q.key] = _ping(c, puzzle.names.get(q.name, q.name))
    return found


def check_lookups(puzzle: Puzzle, prediction: Any) -> CheckResult:
    """Exercise 03.5: the learner's predictions of five name lookups, against the containers."""
    bad = _bad_prediction(prediction)
    if bad is not None:
        return bad
    try:
        found = lookups(puzzle)
    except LabkitError as exc:
        return failed(LOOKUPS, exc.message, exc.hint)
    return judge_lookups(found, prediction)
