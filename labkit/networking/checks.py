"""Exercise checks of 03-networking: reach by name (docker run flags), publish a port (a `-p`
value), find a host veth, read a DNAT rule, predict what `--link` and a user-defined network
resolve.

Taught in: 03-networking (exercises). Each `check_*` reads the live system (the learner's own
containers, or ones the check starts fresh so that no earlier output answers it) and hands what
it found to a `judge_*` function of labkit.networking.judges, which needs no engine (the unit
tests call the judges with made-up facts). A check only ever talks to the learner's containers
and to 127.0.0.1, and asks a container to look a name up only where Docker itself answers it
(the course's containers use 127.0.0.1 as their DNS server, so no query leaves the machine).
"""

from __future__ import annotations

import random
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

from docker.models.containers import Container

from labkit.base import containers, http
from labkit.base.errors import LabkitError
from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.base.show import docker
from labkit.base.wait import WaitTimeout, wait_for
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.flags import learner_flags
from labkit.lab.session import Lab
from labkit.lessons.registry import free_port
from labkit.networking import firewall, netinspect, nftables
from labkit.networking.judges import (
    DNAT_EX,
    LOOKUPS,
    PUBLISH,
    QUESTIONS,
    VETH_EX,
    DnatFacts,
    bad_prediction,
    judge_dnat,
    judge_host_veth,
    judge_lookups,
    judge_publish,
)

REACH = "03.1 reach by name"
DEFAULT_NETWORKS = {"bridge", "host", "none"}
ALIAS = "store"  # 03.1: the second name ex-b must find ex-a by (no earlier cell gives one)
INSIDE = 8081  # 03.2: the port ex-web's HTTP server listens on inside its container
PUBLISH_PORTS = (18140, 18159)  # 03.2: the host ports the check picks from, on 127.0.0.1


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
    code, _ignored = c.exec_run(["ping", "-c", "1", "-W", "2", name])
    return code == 0


def _as_typed(flags: Any, renamed: Mapping[str, str]) -> list[str]:
    """A learner's flags, checked (`learner_flags`), a `--link` to a container the Lab renamed
    (a learner's own `ex-a` took the name) pointed at the real one."""
    out = learner_flags(flags)
    for i, word in enumerate(out[:-1]):
        if word == "--link":
            target, sep, alias = out[i + 1].partition(":")
            out[i + 1] = renamed.get(target, target) + sep + alias
    return out


def check_reach_by_name(lab: Lab, flags_a: Any, flags_b: Any) -> CheckResult:
    """Exercise 03.1: start `ex-a`, then `ex-b` (labkit/busybox, `sleep 3600`) with the learner's
    `docker run` flags; both must reach each other by container name, and ex-b must also
    reach ex-a by the name ALIAS.

    Args:
        lab: the chapter's Lab (it starts, labels and later removes both).
        flags_a, flags_b: lists of strings, as typed after `docker run` (`--name` and `-d` are
            the check's).
    """
    if is_unanswered(flags_a) or is_unanswered(flags_b):
        return unanswered(REACH, _("two lists of docker run flags, e.g. [\"--flag\", \"value\"]"))
    sleep = ["sleep", "3600"]
    try:
        a = lab.run("labkit/busybox", sleep, name="ex-a", flags=_as_typed(flags_a, {}))
        b = lab.run("labkit/busybox", sleep, name="ex-b",
                    flags=_as_typed(flags_b, {"ex-a": a.name}))
    except LabkitError as exc:
        return failed(REACH, exc.message, exc.hint)
    a.reload()
    b.reload()
    not_running = [c.name for c in (a, b) if c.status != "running"]
    if not_running:
        return failed(REACH, _("{not_running} is not running").format(not_running=not_running[0]),
                      _("keep its command: the check starts it with `sleep 3600`"))
    shared = _user_networks(a) & _user_networks(b)
    for src, dst in ((a, b), (b, a)):
        if not shared and not _linked(src, dst):
            one_way = " (a --link goes one way only)" if _linked(dst, src) else ""
            return failed(
                REACH,
                _(
                    "{name} has no way to resolve the name {name2}{one_way}: they "
                    "share no user-defined network, and the default bridge has no "
                    "DNS"
                ).format(name=src.name, name2=dst.name, one_way=one_way),
                _("which kind of network has Docker's embedded DNS server?"),
                _(
                    "the default bridge has none; Docker runs one for every network you "
                    "create, and a container joins a network with a docker run flag"
                ),
            )
        if not _ping(src, dst.name):
            return failed(
                REACH,
                _("{name} cannot reach {name2} by name").format(name=src.name, name2=dst.name),
                _("both must be running on one user-defined network"),
            )
    if not _ping(b, ALIAS):
        return failed(
            REACH,
            _("{name} and {name2} reach each other by name, but {name2} finds no {alias}").format(
                name=a.name, name2=b.name, alias=ALIAS
            ),
            _("on a user-defined network a container can answer to a name besides its own"),
            _("such a second name is an alias: `docker run --help` lists the flags that give one"),
        )
    via = _("network {name}").format(name=sorted(shared)[0]) if shared else "--link"
    return passed(
        REACH,
        _(
            "{name} and {name2} reach each other by name (via {via}), and {name2} "
            "finds {name} as {alias}"
        ).format(name=a.name, name2=b.name, via=via, alias=ALIAS),
    )


# -- 03.2 -------------------------------------------------------------------------------
def _get_status(port: int, wait: float) -> tuple[int | None, str]:
    """GET / on 127.0.0.1:PORT, trying again for WAIT seconds (a new server needs a moment)."""
    url = f"http://{LOOPBACK}:{port}/"
    try:
        return wait_for(url, lambda: http.get(url).status, timeout=wait, interval=0.2,
                        retry_on=(http.NoAnswer,)), ""
    except WaitTimeout as exc:
        return None, exc.last.reason if isinstance(exc.last, http.NoAnswer) else "no answer"


def publish_ports(first: int = PUBLISH_PORTS[0], last: int = PUBLISH_PORTS[1]) -> tuple[int, int]:
    """03.2's start: a free host port on 127.0.0.1, picked at random, and the port ex-web's
    server listens on inside (INSIDE), both printed. Returns (host port, port inside)."""
    free = [p for p in range(first, last + 1) if _free(p)]
    if not free:
        raise LabkitError(
            _("No free port between {first} and {last} on 127.0.0.1.").format(
                first=first, last=last
            ),
            _("stop something that listens there, then run the cell again"),
        )
    port = random.choice(free)  # noqa: S311 -- a port to practise on, not a secret
    print(
        _(
            "ex-web's HTTP server will listen on port {inside} inside its container.\nMake it "
            "answer on 127.0.0.1:{port} of this machine, and nowhere else."
        ).format(inside=INSIDE, port=port)
    )
    return port, INSIDE


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def check_publish(lab: Lab, value: Any, port: int, inside: int = INSIDE,
                  wait: float = 5) -> CheckResult:
    """Exercise 03.2: judge the `-p` VALUE; if it is safe, start `ex-web` (busybox's httpd on
    port INSIDE) with `docker run -p VALUE` and ask 127.0.0.1:PORT for its front page.

    Args:
        lab: the chapter's Lab (the container is labelled and cleaned up with it).
        value: the learner's `-p` value, e.g. "127.0.0.1:18147:8081".
        port: the host port the exercise asks for (`publish_ports`).
        inside: the port the server listens on inside the container.
        wait: seconds to keep trying while the server starts.
    """
    verdict = judge_publish(value, port, inside)
    if isinstance(verdict, CheckResult):
        return verdict
    serve = f"echo ex-web > /tmp/index.html && exec httpd -f -p {inside} -h /tmp"
    try:
        web = lab.run("labkit/busybox", ["sh", "-c", serve], name="ex-web",
                      flags=["-p", str(value).strip()])
    except LabkitError as exc:
        return failed(PUBLISH, exc.message, exc.hint)
    status, error = _get_status(port, wait)
    if status is None:
        return failed(
            PUBLISH,
            _(
                "127.0.0.1:{port} leads to port {container_port} in {name}, and "
                "nothing answered there ({error})"
            ).format(port=port, container_port=verdict.container_port, name=web.name, error=error),
            _("which port does the server listen on inside its container? The cell printed it"),
            _(
                "-p's last part is a port inside the container, the part "
                "before it a port of this machine"
            ),
        )
    return passed(
        PUBLISH,
        _(
            "-p {value}: a request to 127.0.0.1:{port} reached the server in "
            "{name} on port {container_port} (HTTP {status}), and no other "
            "address of this machine publishes it"
        ).format(
            value=value,
            port=port,
            name=web.name,
            container_port=verdict.container_port,
            status=status,
        ),
    )


# -- 03.3 -------------------------------------------------------------------------------
def new_stranger(lab: Lab) -> str:
    """03.3's start: a fresh container `stranger` on the default bridge; its name (as its
    `docker run` line shows it). Its veth pair is new each time the cell runs, so no earlier
    output names it."""
    return lab.run("labkit/busybox", ["sleep", "3600"], name="stranger").name


def check_host_veth(container: Any, answer: Any) -> CheckResult:
    """Exercise 03.3: ANSWER names the host's end of CONTAINER's veth pair."""
    c = _container(container)
    if c is None:
        return failed(VETH_EX, _("there is no container {container!r}").format(container=container),
                      _("run the cell from the top: it starts `stranger` afresh"))
    try:
        right = netinspect.host_veth(c)
    except netinspect.NoVethPair:
        return failed(
            VETH_EX,
            _("{name} has no veth pair (host, none or container: mode)").format(name=c.name),
            _("pick a container on a bridge network"),
        )
    except LabkitError as exc:
        return failed(VETH_EX, exc.message, exc.hint)
    return judge_host_veth(c.name, right, answer)


# -- 03.4 -------------------------------------------------------------------------------
class DnatTarget(NamedTuple):
    """03.4's container: nginx published on 127.0.0.1:port, fresh each time. A tuple, so the
    cell unpacks plain values: `name, port, listing = checks.new_dnat_target(lab)`.

    Attributes:
        name: the container's name (ex-dnat).
        port: its host port on 127.0.0.1.
        listing: the command that lists Docker's nat rules on this engine's firewall backend.
    """

    name: str
    port: int
    listing: list[str]


def new_dnat_target(lab: Lab) -> DnatTarget:
    """03.4's start: a fresh nginx `ex-dnat` published on 127.0.0.1 on a free port (shown),
    and the command that lists the nat rules on this engine's firewall backend (printed).

    Its address is new each time the cell runs; the check reads it from the engine."""
    port = free_port(18180, 18199)
    box = lab.run("labkit/nginx:1.22.1", name="ex-dnat", flags=["-p", f"{LOOPBACK}:{port}:80"])
    listing = firewall.command("nat")
    print("Docker's nat rules are listed by: " + " ".join(listing))
    return DnatTarget(box.name, port, listing)


def check_dnat(name: str, port: int, answer: Any) -> CheckResult:
    """Exercise 03.4: ANSWER is where the DNAT rule for container NAME's host PORT sends
    packets."""
    c = containers.find(name)
    if c is None:
        return failed(DNAT_EX, _("{name} is gone").format(name=name),
                      _("run the exercise's cell again (it starts ex-dnat afresh)"))
    net = next(iter(containers.endpoints(c).values()), None)
    if net is None or not net.address:
        return failed(DNAT_EX, _("{name} has no address").format(name=c.name),
                      _("run the exercise's cell again"))
    return judge_dnat(DnatFacts(port, net.address, 80, net.gateway, nftables.in_use()), answer)


# -- 03.5 -------------------------------------------------------------------------------
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
    app = lab.run("labkit/busybox", sleep, name="lk-app", flags=["--link", f"{db.name}:db"])
    net = lab.network("dns-net", subnet="auto")
    a = lab.run("labkit/busybox", sleep, name="dns-a", flags=["--network", net.name])
    b = lab.run("labkit/busybox", sleep, name="dns-b", flags=["--network", net.name])
    return Puzzle({"lk-db": db.name, "lk-app": app.name, "dns-a": a.name, "dns-b": b.name,
                   "db": "db"}, net.name)


def ping_argv(who: str, name: str) -> list[str]:
    """The lookup 03.5 asks: `exec WHO ping -c 1 -W 2 NAME` (after `docker`)."""
    return ["exec", who, "ping", "-c", "1", "-W", "2", name]


def lookups(puzzle: Puzzle) -> dict[str, bool]:
    """Ask each question of 03.5 in the live containers (`docker exec WHO ping -c 1 -W 2
    NAME`), all five at once: each is a process of its own, so the check waits for the
    slowest lookup, not for their sum (a name that no server answers can take seconds on
    some engines)."""
    asked = {}
    for q in QUESTIONS:
        c = containers.find(puzzle.names[q.who])
        if c is None:
            raise LabkitError(_("{names} is gone.").format(names=puzzle.names[q.who]),
                              _("run the exercise's first cell again (it starts them afresh)"))
        asked[q.key] = ping_argv(c.name, puzzle.names.get(q.name, q.name))
    with ThreadPoolExecutor(max_workers=len(asked)) as pool:
        runs = {key: pool.submit(docker, argv, check=False, show=False)
                for key, argv in asked.items()}
        return {key: run.result().ok for key, run in runs.items()}


def check_lookups(puzzle: Puzzle, prediction: Any) -> CheckResult:
    """Exercise 03.5: the learner's predictions of five name lookups, against the containers."""
    bad = bad_prediction(prediction)
    if bad is not None:
        return bad
    try:
        found = lookups(puzzle)
    except LabkitError as exc:
        return failed(LOOKUPS, exc.message, exc.hint)
    return judge_lookups(found, prediction)
