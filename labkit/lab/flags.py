"""`docker run` flags a learner writes as an exercise's answer: the safe ones, as typed.

Taught in: the exercises of 03 and 04 (an answer is the flags you would add to `docker run`).

A flag the course cannot allow is refused with what to write instead: nothing that publishes on
every interface (`-P`, `-p` without 127.0.0.1), reaches a real DNS server (`--dns`), mounts the
host's files (`-v`, `--mount`) or lifts the container's limits (`--privileged`).
"""

from __future__ import annotations

from collections.abc import Sequence

from labkit.base.errors import LabkitError

WITH_VALUE = {
    "--pid", "--ipc", "--uts", "--network", "--net", "--hostname", "-h", "--user", "-u",
    "--workdir", "-w", "--env", "-e", "--stop-signal", "--stop-timeout", "--link", "--cap-add",
    "--cap-drop", "--cgroupns", "--entrypoint", "--memory", "-m", "--pids-limit", "--sysctl",
    "--network-alias", "--ip", "--publish", "-p", "--label", "-l", "--userns",
}
SWITCHES = {"--init", "--read-only", "-i", "-t", "--interactive", "--tty"}
REFUSED = {
    "-P": "publish one port on 127.0.0.1 instead: -p 127.0.0.1::PORT",
    "--publish-all": "publish one port on 127.0.0.1 instead: -p 127.0.0.1::PORT",
    "--dns": "the course's containers resolve names only through Docker itself",
    "-v": "the exercise needs no file of this machine in the container",
    "--volume": "the exercise needs no file of this machine in the container",
    "--mount": "the exercise needs no file of this machine in the container",
    "--privileged": "name the one capability needed with --cap-add",
    "-d": "labkit starts the container in the background already",
    "--detach": "labkit starts the container in the background already",
    "--name": "labkit names the container",
    "--rm": "labkit removes the container at cleanup",
}


def learner_flags(flags: object) -> list[str]:
    """FLAGS (a list of strings, as you would type them after `docker run`), checked.

    Raises:
        LabkitError: not a list of strings, an unknown or refused flag, a flag without its
            value, or a port published beyond 127.0.0.1; the hint says what to write.
    """
    if isinstance(flags, str) or not isinstance(flags, Sequence) or not all(
            isinstance(f, str) for f in flags):
        raise LabkitError(f"The flags are a {type(flags).__name__}, not a list of strings.",
                          'write them as you would type them, one word per string: '
                          '["--init", "--pid", "container:c1"]')
    words = [w for flag in flags for w in (flag.split("=", 1) if flag.startswith("--")
                                           and "=" in flag else [flag])]
    out: list[str] = []
    i = 0
    while i < len(words):
        flag = words[i]
        if flag in REFUSED:
            raise LabkitError(f"`{flag}` is not needed here.", REFUSED[flag])
        if flag in SWITCHES:
            out.append(flag)
            i += 1
            continue
        if flag not in WITH_VALUE:
            raise LabkitError(f"`{flag}` is not a `docker run` flag this exercise takes.",
                              "write only flags, each followed by its value if it has one")
        if i + 1 >= len(words):
            raise LabkitError(f"`{flag}` needs a value after it.",
                              f'give it as its own string: ["{flag}", "VALUE"]')
        value = words[i + 1]
        if flag in {"-p", "--publish"} and not value.startswith("127.0.0.1:"):
            raise LabkitError(f"`-p {value}` would publish on every interface of the machine.",
                              "publish on 127.0.0.1 only: -p 127.0.0.1:HOSTPORT:PORT")
        out += [flag, value]
        i += 2
    return out
