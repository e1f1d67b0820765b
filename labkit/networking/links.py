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
    `views.explain_link_change`."""
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

