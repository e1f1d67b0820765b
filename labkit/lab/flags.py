"""`docker run` flags a learner writes as an exercise's answer: the safe ones, as typed.

Taught in: the exercises of 03 and 04 (an answer is the flags you would add to `docker run`).

A flag the course cannot allow is refused with what to write instead: nothing that publishes on
every interface (`-P`, `-p` without 127.0.0.1), reaches a real DNS server (`--dns`), mounts the
host's files (`-v`, `--mount`) or lifts the container's limits (`--privileged`).
"""

from __future__ import annotations

from collections.abc import Sequence

from labkit.base.errors import LabkitError
from labkit.base.i18n import N_, _

WITH_VALUE = {
    "--pid", "--ipc", "--uts", "--network", "--net", "--hostname", "-h", "--user", "-u",
    "--workdir", "-w", "--env", "-e", "--stop-signal", "--stop-timeout", "--link", "--cap-add",
    "--cap-drop", "--cgroupns", "--entrypoint", "--memory", "-m", "--pids-limit", "--sysctl",
    "--network-alias", "--ip", "--publish", "-p", "--label", "-l", "--userns",
}
SWITCHES = {"--init", "--read-only", "-i", "-t", "--interactive", "--tty"}
REFUSED = {
    "-P": N_("publish one port on 127.0.0.1 instead: -p 127.0.0.1::PORT"),
    "--publish-all": N_("publish one port on 127.0.0.1 instead: -p 127.0.0.1::PORT"),
    "--dns": N_("the course's containers resolve names only through Docker itself"),
    "-v": N_("the exercise needs no file of this machine in the container"),
    "--volume": N_("the exercise needs no file of this machine in the container"),
    "--mount": N_("the exercise needs no file of this machine in the container"),
    "--privileged": N_("name the one capability needed with --cap-add"),
    "-d": N_("labkit starts the container in the background already"),
    "--detach": N_("labkit starts the container in the background already"),
    "--name": N_("labkit names the container"),
    "--rm": N_("labkit removes the container at cleanup"),
}


def learner_flags(flags: object) -> list[str]:
    """FLAGS (a list of strings, as you would type them after `docker run`), checked.

    Raises:
        LabkitError: not a list of strings, an unknown or refused flag, a flag without its
            value, or a port published beyond 127.0.0.1; the hint says what to write.
    """
    if isinstance(flags, str) or not isinstance(flags, Sequence) or not all(
            isinstance(f, str) for f in flags):
        raise LabkitError(
            _("The flags are a {name}, not a list of strings.").format(name=type(flags).__name__),
            _(
                "write them as you would type them, one word per string: "
                '["--init", "--pid", "container:c1"]'
            ),
        )
    words = [w for flag in flags for w in (flag.split("=", 1) if flag.startswith("--")
                                           and "=" in flag else [flag])]
    out: list[str] = []
    i = 0
    while i < len(words):
        flag = words[i]
        if flag in REFUSED:
            raise LabkitError(_("`{flag}` is not needed here.").format(flag=flag), _(REFUSED[flag]))
        if flag in SWITCHES:
            out.append(flag)
            i += 1
            continue
        if flag not in WITH_VALUE:
            raise LabkitError(
                _("`{flag}` is not a `docker run` flag this exercise takes.").format(flag=flag),
                _("write only flags, each followed by its value if it has one"),
            )
        if i + 1 >= len(words):
            raise LabkitError(
                _("`{flag}` needs a value after it.").format(flag=flag),
                _('give it as its own string: ["{flag}", "VALUE"]').format(flag=flag),
            )
        value = words[i + 1]
        if flag in {"-p", "--publish"} and not value.startswith("127.0.0.1:"):
            raise LabkitError(
                _("`-p {value}` would publish on every interface of the machine.").format(
                    value=value
                ),
                _("publish on 127.0.0.1 only: -p 127.0.0.1:HOSTPORT:PORT"),
            )
        out += [flag, value]
        i += 2
    return out
