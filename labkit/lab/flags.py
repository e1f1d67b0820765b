"""`docker run` flags as typed: every `lab.run`'s (`run_flags`) and an exercise answer's
(`learner_flags`), checked.

Taught in: 00-preflight (the first `lab.run`), every chapter's `lab.run(..., flags=[...])`, and
the exercises of 03 and 04 (an answer is the flags you would add to `docker run`).

`run_flags` keeps the course's one rule for every container: a port is published on 127.0.0.1
(or on a lesson link address the lab allows), never on every interface; the flags run exactly as
typed. `learner_flags` is stricter: a flag the exercise cannot allow is refused with what to
write instead: nothing that publishes on every interface (`-P`, `-p` without 127.0.0.1),
reaches a real DNS server (`--dns`), mounts the host's files (`-v`, `--mount`) or lifts the
container's limits (`--privileged`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

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


def _require_words(flags: object) -> list[str]:
    """FLAGS as a list of strings (one word each, as typed), or a LabkitError saying how."""
    if isinstance(flags, str) or not isinstance(flags, Sequence) or not all(
            isinstance(f, str) for f in flags):
        raise LabkitError(
            _("The flags are a {name}, not a list of strings.").format(name=type(flags).__name__),
            _(
                "write them as you would type them, one word per string: "
                '["--init", "--pid", "container:c1"]'
            ),
        )
    return list(flags)


def learner_flags(flags: object) -> list[str]:
    """FLAGS (a list of strings, as you would type them after `docker run`), checked.

    Raises:
        LabkitError: not a list of strings, an unknown or refused flag, a flag without its
            value, or a port published beyond 127.0.0.1; the hint says what to write.
    """
    flags = _require_words(flags)
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


# `docker run` options that take no value (`docker run --help`); every other option takes one.
NO_VALUE = {
    "-d", "--detach", "--init", "--privileged", "-P", "--publish-all", "--read-only", "--rm",
    "-i", "--interactive", "-t", "--tty", "--no-healthcheck", "--oom-kill-disable", "-q",
    "--quiet", "--disable-content-trust", "--use-api-socket",
}
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RunFlags:
    """`docker run` flags as typed, read: what `Lab.run` needs to know of them.

    Attributes:
        words: the flags exactly as typed (they go into the line as they are).
        options: each option with its value (None for a switch), `--x=y` split.
    """

    words: tuple[str, ...]
    options: tuple[tuple[str, str | None], ...]

    def values(self, *names: str) -> list[str]:
        """The values given to any of NAMES, in order (`values("--network", "--net")`)."""
        return [v for k, v in self.options if k in names and v is not None]

    def has(self, *names: str) -> bool:
        """True when any of NAMES is given."""
        return any(k in names for k, _v in self.options)


def _read(words: Sequence[str]) -> list[tuple[str, str | None]]:
    options: list[tuple[str, str | None]] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or word == "-":
            raise LabkitError(
                _("`{word}` is not a `docker run` option.").format(word=word),
                _("give the image and the command as lab.run's first two arguments, "
                  "and only options in flags"),
            )
        if word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            options.append((key, value))
            continue
        if word in NO_VALUE:
            options.append((word, None))
            continue
        if not word.startswith("--") and len(word) > 2:
            if all(f"-{c}" in NO_VALUE for c in word[1:]):  # -it
                options += [(f"-{c}", None) for c in word[1:]]
            else:  # -p127.0.0.1::80
                options.append((word[:2], word[2:]))
            continue
        if i >= len(words):
            raise LabkitError(
                _("`{flag}` needs a value after it.").format(flag=word),
                _('give it as its own string: ["{flag}", "VALUE"]').format(flag=word),
            )
        options.append((word, words[i]))
        i += 1
    return options


def published_address(value: str) -> str | None:
    """The host address of a `-p` value (`127.0.0.1:8080:80` -> 127.0.0.1), None without one
    (`8080:80`, `80`: Docker publishes those on every interface)."""
    if value.startswith("["):  # [::1]:8080:80
        return value[1:value.index("]")] if "]" in value else None
    parts = value.split(":")
    return parts[0] if len(parts) >= 3 else None


def run_flags(flags: object, publish_on: Collection[str] = ()) -> RunFlags:
    """FLAGS (a list of strings, as typed after `docker run`), read and checked.

    Args:
        flags: the options, one word per string, e.g. ["--network", "lab-net", "--init"].
        publish_on: the addresses besides 127.0.0.1 a `-p` may name
            (`Lab.allow_publishing_on`).

    Raises:
        LabkitError: not a list of strings, a word that is no option, an option without its
            value, `-d` or `--name` (lab.run gives those), or a `-p` that does not name
            127.0.0.1 (or an allowed address); the hint says what to write.
    """
    options = _read(_require_words(flags))
    for key, value in options:
        if key in {"-d", "--detach"}:
            raise LabkitError(_("`{flag}` is lab.run's to give.").format(flag=key),
                              _("lab.run starts the container in the background; "
                                "lab.run_once runs it to its end"))
        if key == "--name":
            raise LabkitError(_("`{flag}` is lab.run's to give.").format(flag=key),
                              _("give the name as lab.run(..., name=...): lab.run makes it "
                                "unique if a container of yours has it"))
        if key in {"-p", "--publish"} and value is not None:
            address = published_address(value)
            if address is None:
                raise LabkitError(
                    _("`-p {value}` would publish on every interface of the machine.").format(
                        value=value),
                    _("write -p {fixed}: the course publishes on 127.0.0.1 only").format(
                        fixed=f"{LOOPBACK}:{value}" if ":" in value else f"{LOOPBACK}::{value}"),
                )
            if address != LOOPBACK and address not in publish_on:
                raise LabkitError(
                    _("`-p {value}` would publish on {address}.").format(value=value,
                                                                        address=address),
                    _("publish on 127.0.0.1 only: -p 127.0.0.1:HOSTPORT:PORT"),
                )
    return RunFlags(tuple(flags), tuple(options))
