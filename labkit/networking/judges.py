"""The judges of 03-networking's exercises: a learner's answer against facts, with no engine.

Taught in: 03-networking (exercises 03.2 to 03.5). Each `check_*` of labkit.networking.checks
reads the live system and hands what it found to a `judge_*` here, which decides with a hint
that teaches; the unit tests call the judges with made-up facts. A placeholder left as `...` is
"not answered yet".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docker.utils.ports import split_port

from labkit.base.http import LOOPBACK
from labkit.base.i18n import _
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered

PUBLISH = "03.2 publish a port"
VETH_EX = "03.3 which veth"
DNAT_EX = "03.4 read a DNAT rule"
LOOKUPS = "03.5 --link or a network"


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
    port, _ignored, proto = str(inside[0]).partition("/")
    published = outside[0] if outside else None
    address, host_port = published if isinstance(published, tuple) else ("", published)
    return Publish(str(address or "").strip("[]"), int(host_port) if host_port else None,
                   int(port), proto or "tcp")


def judge_publish(value: Any, port: int, inside: int) -> CheckResult | Publish:
    """Judge a `-p` value before anything runs: a verdict, or the Publish that is safe to run.

    Args:
        value: the learner's answer, e.g. "127.0.0.1:18147:8081".
        port: the host port the exercise asks for (on 127.0.0.1).
        inside: the port the server listens on inside the container.
    """
    if is_unanswered(value):
        return unanswered(PUBLISH, _("the value of docker run's -p option, as text"))
    if not isinstance(value, str):
        return failed(
            PUBLISH,
            _("{value!r} is not text").format(value=value),
            _("write it as docker run's -p takes it, in quotes"),
        )
    p = parse_publish(value)
    syntax = _("-p takes [ADDRESS:][HOSTPORT:]CONTAINERPORT, left to right: host side first")
    if p is None and "-" in value:
        return failed(PUBLISH, _("-p {value} publishes a range of ports, and the exercise asks "
                                 "for one").format(value=value), syntax)
    if p is None:
        return failed(PUBLISH, _("docker run would refuse -p {value}").format(value=value), syntax)
    if p.host_ip in {"", "0.0.0.0", "::"}:
        return failed(
            PUBLISH,
            _(
                "-p {value} publishes on every address of this machine "
                "(0.0.0.0), so anyone on your network could reach the server; "
                "the check does not run it"
            ).format(value=value),
            _("name the host address to listen on: the first part of the value"),
            _("the loopback address is reachable from this machine only"),
        )
    if p.host_ip != LOOPBACK:
        return failed(
            PUBLISH,
            _(
                "-p {value} would listen on {host_ip}, an address the course "
                "does not publish on; the check does not run it"
            ).format(value=value, host_ip=p.host_ip),
            _("the course publishes on this machine's loopback address only"),
        )
    if p.host_port is None:
        return failed(PUBLISH, _("with no host port, Docker picks a free one at random, not "
                                 "{port}").format(port=port), syntax)
    if p.host_port == inside and p.container_port == port:
        return failed(
            PUBLISH,
            _(
                "-p {value} publishes host port {host_port} and sends it to "
                "port {container_port} in the container: the two are swapped"
            ).format(value=value, host_port=p.host_port, container_port=p.container_port),
            syntax,
        )
    if p.host_port != port:
        return failed(
            PUBLISH,
            _("-p {value} publishes host port {host_port}, not {port}").format(
                value=value, host_port=p.host_port, port=port
            ),
            syntax,
        )
    if p.proto != "tcp":
        return failed(
            PUBLISH,
            _("-p {value} forwards {proto}, and HTTP runs over tcp").format(
                value=value, proto=p.proto
            ),
            _("which protocol does -p forward when the value names none?"),
        )
    return p


# -- 03.3 -------------------------------------------------------------------------------
VETH = re.compile(r"^veth[0-9a-f]{7}$")


def judge_host_veth(name: str, right: str, answer: Any) -> CheckResult:
    """Is ANSWER the host end (RIGHT) of container NAME's veth pair?"""
    if is_unanswered(answer):
        return unanswered(VETH_EX, _("the name of the host's end, as text, e.g. \"veth1a2b3c4\""))
    if not isinstance(answer, str):
        return failed(
            VETH_EX,
            _("{answer!r} is not an interface name").format(answer=answer),
            _("give it as text"),
        )
    answer = answer.strip()
    iflink = (_("the two ends of a veth pair know each other's ifindex, and the container's eth0 "
                "names its peer's"),
              _("the number after eth0@if is an ifindex on the host: which host interface has it?"))
    if answer.split("@")[0] == right:
        return passed(
            VETH_EX, _("{answer} is the host end of {name}'s eth0").format(answer=answer, name=name)
        )
    if answer.startswith("eth0"):
        return failed(VETH_EX, _("eth0 is the container's end of the pair"), *iflink)
    if not VETH.match(answer.split("@")[0]):
        return failed(
            VETH_EX,
            _("{answer!r} is not a veth name like veth1a2b3c4").format(answer=answer),
            _("host ends are named veth + 7 hex digits; see `ip -br link show type veth`"),
        )
    return failed(
        VETH_EX,
        _("{answer} is a different veth (another container's, or none)").format(answer=answer),
        *iflink,
    )


# -- 03.4 -------------------------------------------------------------------------------
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
        return unanswered(
            DNAT_EX, _('the rule\'s {target}, as text: "ADDRESS:PORT"').format(target=target)
        )
    right = f"{f.address}:{f.container_port}"
    rule = _(
        "Docker writes one DNAT rule per published port, and the one for port {port} says "
        "where a packet goes after it: list the rules with the command the cell printed"
    ).format(port=f.port)
    if f.nftables:
        more = _(
            "the rule is in chain nat-prerouting-and-output of table ip docker-bridges and "
            "matches dport {port}; read what follows {target}"
        ).format(port=f.port, target=target)
    else:
        more = (_("the rule is in the nat table's DOCKER chain and matches --dport {port}; read "
                  "what follows {target}").format(port=f.port, target=target))
    if not isinstance(answer, str) or ":" not in answer:
        return failed(
            DNAT_EX, _("{answer!r} is not ADDRESS:PORT").format(answer=answer), rule, more
        )
    address, _ignored, port = answer.strip().rpartition(":")
    if answer.strip() == right:
        return passed(
            DNAT_EX,
            _(
                "a packet for 127.0.0.1:{port} leaves PREROUTING or OUTPUT with "
                "its destination rewritten to {right}, the container's address"
            ).format(port=f.port, right=right),
        )
    if address in {LOOPBACK, "0.0.0.0"} or port == str(f.port):
        return failed(
            DNAT_EX,
            _("{answer} is where the packet was going before DNAT, not after").format(
                answer=answer
            ),
            rule,
            more,
        )
    if address == f.gateway:
        return failed(DNAT_EX, _("{gateway} is the bridge's own address (the host's side), not "
                                 "the container's").format(gateway=f.gateway), rule, more)
    if address == f.address:
        return failed(
            DNAT_EX,
            _(
                "the address is right, but nginx listens on {container_port} inside, not on {port}"
            ).format(container_port=f.container_port, port=port),
            rule,
            more,
        )
    return failed(
        DNAT_EX,
        _("no DNAT rule for port {port} sends packets to {answer}").format(
            port=f.port, answer=answer
        ),
        rule,
        more,
    )


# -- 03.5 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lookup:
    """One question of 03.5: does container WHO find NAME?

    Attributes:
        key: the question as the learner's prediction names it, e.g. "lk-app finds db".
        who, name: the base names (made unique by the Lab where a learner owns them).
    """

    key: str
    who: str
    name: str


QUESTIONS = (
    Lookup("lk-app finds db", "lk-app", "db"),
    Lookup("lk-app finds lk-db", "lk-app", "lk-db"),
    Lookup("lk-db finds lk-app", "lk-db", "lk-app"),
    Lookup("dns-a finds dns-b", "dns-a", "dns-b"),
    Lookup("dns-a finds lk-db", "dns-a", "lk-db"),
)


def bad_prediction(prediction: Any) -> CheckResult | None:
    """The verdict on a prediction that is not (yet) True/False for every question, else None."""
    keys = [q.key for q in QUESTIONS]
    if is_unanswered(prediction) or (isinstance(prediction, Mapping) and any(
            v is Ellipsis for v in prediction.values())):
        return unanswered(LOOKUPS, _("True or False for each question"))
    if not isinstance(prediction, Mapping):
        return failed(
            LOOKUPS,
            _("{prediction!r} is not a dict").format(prediction=prediction),
            _("keep the dict and fill in True or False for each question"),
        )
    missing = [k for k in keys if k not in prediction]
    if missing:
        return failed(
            LOOKUPS,
            _("the prediction has no answer for {missing!r}").format(missing=missing[0]),
            _("keep every question of the dict"),
        )
    odd = [k for k in keys if not isinstance(prediction[k], bool)]
    if odd:
        return failed(
            LOOKUPS,
            _("the answer to {odd!r} is {prediction!r}, not True or False").format(
                odd=odd[0], prediction=prediction[odd[0]]
            ),
            _("answer each question with True or False"),
        )
    return None


def judge_lookups(found: Mapping[str, bool], prediction: Any) -> CheckResult:
    """Compare the learner's PREDICTION ({question: True/False}) with what FOUND says.

    A wrong prediction is told how many answers differ, and (second hint) how many of them are
    about --link and how many about dns-net, never which: each answer is True or False, so
    naming one would give it away."""
    bad = bad_prediction(prediction)
    if bad is not None:
        return bad
    wrong = [q for q in QUESTIONS if prediction[q.key] != found[q.key]]
    if not wrong:
        return passed(LOOKUPS, _("all {questions} predictions match what ping found in the "
                                 "containers. A link is a line in the /etc/hosts of the "
                                 "container that asked for it; a network's DNS answers only for "
                                 "the containers on it.").format(questions=len(QUESTIONS)))
    links = sum(q.who.startswith("lk-") for q in wrong)
    parts = []
    if links:
        parts.append(_("{links} of the --link questions (lk-app, lk-db): whose /etc/hosts "
                       "does a link write, and which names are on its line?").format(links=links))
    if len(wrong) - links:
        parts.append(_("{count} of the dns-net questions (dns-a): which containers does a "
                       "network's DNS answer for?").format(count=len(wrong) - links))
    return failed(LOOKUPS, _("{wrong} of {questions} predictions differ from what the containers "
                             "found").format(wrong=len(wrong), questions=len(QUESTIONS)),
                  _("a --link writes lines into the /etc/hosts of the container that asked for "
                    "it; a user-defined network's DNS answers for the containers on it"),
                  _("the ones that differ: ") + _("; ").join(parts))
