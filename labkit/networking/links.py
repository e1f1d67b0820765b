"""What `--link NAME:ALIAS` gives a container: its /etc/hosts line, and (engines before 29)
the link's environment variables.

Taught in: 03-networking (section 4, `--link`: the legacy way). Docker Engine 29.0 stopped
injecting the legacy link variables (moby#50719): `setupLinkedContainers` in moby's
daemon/container_operations_unix.go adds them only when dockerd's own environment has
`DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS=1`. What a container got is read from inside
it, never assumed from the engine's version; the version only explains what was read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from docker.models.containers import Container

from labkit.base import containers as ctr
from labkit.base.errors import LabkitError
from labkit.base.facts import facts
from labkit.base.i18n import _
from labkit.base.show import docker

KEEP_VARIABLE = "DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS"


@dataclass(frozen=True)
class LinkView:
    """What `--link NAME:ALIAS` gave a container, read from inside it.

    Attributes:
        hosts: the /etc/hosts line that names the alias ("" when none does).
        env: the link's variables in the environment of the container's PID 1 (set when it
            started: ALIAS_PORT_..., ALIAS_ENV_..., ALIAS_NAME); empty where the engine
            injects none (Engine 29 and later, by default).
        exec_env: the same variables as a new `docker exec` process gets them.
    """

    hosts: str
    env: dict[str, str]
    exec_env: dict[str, str]

    @property
    def hosts_address(self) -> str:
        """The address /etc/hosts gives the alias."""
        return self.hosts.split()[0] if self.hosts else ""

    @property
    def address_variable(self) -> str:
        """The address PID 1's `ALIAS_PORT_N_PROTO_ADDR` variable holds ("" when none)."""
        return next((v for k, v in self.env.items() if k.endswith("_ADDR")), "")


def link_variables(environ: Iterable[str], alias: str) -> dict[str, str]:
    """The variables a link to ALIAS injects, from KEY=VALUE strings."""
    prefix = alias.upper().replace("-", "_") + "_"
    found = {}
    for x in environ:
        key, sep, value = x.partition("=")
        if sep and key.startswith(prefix) and ("_PORT" in key or "_ENV_" in key
                                                or key == prefix + "NAME"):
            found[key] = value
    return dict(sorted(found.items()))


def parse_link(hosts_text: str, environ: str | bytes, exec_env_text: str,
               alias: str) -> LinkView:
    """A LinkView from the recipient's /etc/hosts lines, PID 1's environment (one variable a
    line, as `strings -n 1 /proc/1/environ` prints it, or the file's NUL-separated bytes) and
    `env` output."""
    line = next((x.strip() for x in hosts_text.splitlines() if alias in x.split()[1:]), "")
    text = environ.decode(errors="replace") if isinstance(environ, bytes) else environ
    pid1 = re.split(r"[\0\n]", text)
    return LinkView(line, link_variables(pid1, alias),
                    link_variables(exec_env_text.splitlines(), alias))


def link_view(container: Container | str, alias: str) -> LinkView:
    """Show what a linked container's alias means inside CONTAINER (03-networking): PID 1's
    environment (`docker exec C strings -n 1 /proc/1/environ`: the file is NUL-separated, and
    busybox's `strings` prints one variable a line) and the alias's line in /etc/hosts
    (`docker exec C grep -w ALIAS /etc/hosts`). Both commands run as printed, with their
    output; what a new `docker exec` process gets (`env`) is read too, unprinted, for
    `explain_link_change`."""
    c = ctr.get(container)
    environ = docker(["exec", c.name, "strings", "-n", "1", "/proc/1/environ"])
    _ignored, env_out = c.exec_run(["env"])
    hosts = docker(["exec", c.name, "grep", "-w", alias, "/etc/hosts"], check=False)
    view = parse_link(hosts.stdout, environ.stdout, env_out.decode(errors="replace"), alias)
    if not view.env:
        prefix = alias.upper().replace("-", "_")
        print(
            _(
                "(no {prefix}_PORT_..., {prefix}_ENV_... or {prefix}_NAME in PID 1's environment)"
            ).format(prefix=prefix)
        )
    if not view.hosts:
        print(_("(no line for {alias} in /etc/hosts)").format(alias=alias))
    return view


def explain_variables(view: LinkView, major: int | None = None, minor: int | None = None) -> None:
    """Say whether this engine injected the link's variables, and why (03-networking).

    Args:
        view: what `link_view` read from the recipient.
        major, minor: the engine's version (default: the facts').

    Raises:
        LabkitError: an engine before 29 injected none (every engine before 29.0 does).
    """
    if major is None or minor is None:
        major, minor = facts().major, facts().minor
    engine = f"Docker {major}.{minor}"
    if view.env and major >= 29:
        print(
            _(
                "{engine} injected {env} link variables: its dockerd runs with {keep_variable}=1 "
                "in its environment, which brings back what Engine 29.0 stopped doing "
                "(moby#50719)."
            ).format(engine=engine, env=len(view.env), keep_variable=KEEP_VARIABLE)
        )
    elif view.env:
        print(
            _("{engine} injected {env} link variables, as every engine before 29.0 does.").format(
                engine=engine, env=len(view.env)
            )
        )
    elif major >= 29:
        print(_("{engine} injected none: Engine 29.0 stopped injecting the legacy link variables "
                "(moby#50719). Their names carry the linked container's alias, so a program had "
                "to know it or scan its whole environment, and they froze an address that a "
                "restart changes; dropping them brings the default bridge closer to user-defined "
                "networks. Setting {keep_variable}=1 in dockerd's own environment (an "
                "Environment= line in a systemd drop-in for docker.service, then a restart of "
                "the daemon) brings them back (docker/cli's deprecated.md plans its removal for "
                "30.0); the course leaves your engine as it is. Here a link gives only its "
                "/etc/hosts line.").format(engine=engine, keep_variable=KEEP_VARIABLE))
    else:
        raise LabkitError(
            _("{engine} injected no link variables, but engines before 29.0 always do.").format(
                engine=engine
            ),
            _(
                "run the cell again; if it repeats, check the link "
                "with `docker inspect -f '{{.HostConfig.Links}}' "
                "link-client`"
            ),
        )


def explain_link_change(before: LinkView, after: LinkView, now: str) -> None:
    """Say what changed after the linked container came back with address NOW.

    Raises:
        LabkitError: the address did not change, /etc/hosts was not rewritten, or PID 1's
            variables changed (neither is what Docker does; the lesson's reading would be
            wrong).
    """
    if before.hosts_address == now:
        raise LabkitError(
            _("The linked container came back with its old address {now}.").format(now=now),
            _("run the restart cell again: it needs another address"),
        )
    if after.hosts_address != now:
        raise LabkitError(
            _("/etc/hosts still says {value}, not the new address {now}.").format(
                value=after.hosts_address or "nothing", now=now
            ),
            _("run the restart cell again: Docker rewrites the file on restart"),
        )
    if after.env != before.env:
        raise LabkitError(_("PID 1's link variables changed; they are set once, when it starts."),
                          _("run the chapter from the top (`lab.cleanup()` first)"))
    old = before.address_variable
    if not old:
        print(_("/etc/hosts now says {now} (Docker rewrote it). PID 1 has no link variables that "
                "could still hold the old address: on this engine the name is the only way a "
                "link tells a container where its neighbour is.").format(now=now))
        return
    print(
        _(
            "/etc/hosts now says {now} (Docker rewrote it); PID 1's variables still say {old}."
        ).format(now=now, old=old)
    )
    new = next((v for k, v in after.exec_env.items() if k.endswith("_ADDR")), "?")
    same = _("the old") if new == old else _("the new")
    print(_("A process started now with `docker exec` gets {same} value, {new}: Docker computes "
            "a link's variables again for every exec.").format(same=same, new=new))
