"""Run a command the way a terminal would: print the exact line, run exactly it, print its output.

Taught in: 00-preflight; every chapter shows the commands it teaches with these.

`docker([...])` runs the docker CLI on this machine (where the course runs, beside the SDK);
`sh([...])` runs any other command on the Docker host (`host()`: this machine, or the engine's
machine through a helper container). The line printed is the argument list that runs, quoted as
a shell would need it: paste it into a terminal and the same thing happens.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence

from labkit.base.engine import system
from labkit.base.errors import CommandFailed, HostToolMissing
from labkit.base.host import Result, host
from labkit.base.i18n import _


class Shown(Result):
    """A Result whose command and output are on screen already: as a cell's last value it
    shows nothing more."""

    def _ipython_display_(self) -> None:
        """Show nothing more (the command and its output are printed)."""


WIDTH = 100  # a printed command longer than this is folded with ` \` continuations


SHELLS = {"sh", "bash"}


def _groups(words: list[str]) -> list[str]:
    """The words of a line, an option kept together with the value that follows it, and a
    shell kept together with its `-c SCRIPT`."""
    groups: list[str] = []
    for word in words:
        last = groups[-1] if groups else ""
        if last in SHELLS and word == "-c":
            groups[-1] += " -c"
        elif (last.startswith("-") and " " not in last and not word.startswith("-")) or (
                last.split(" ")[0] in SHELLS and last.endswith(" -c")):
            groups[-1] += " " + word
        else:
            groups.append(word)
    return groups


def command_line(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """The shell line for ARGV, ENV set in front (`DOCKER_BUILDKIT=0 docker build ...`).

    A line longer than WIDTH is folded before an option, ending each part with a backslash, as a
    shell script would write it: pasted into a terminal, it is still the one command.
    """
    words = [shlex.quote(w) for w in
             [*(f"{k}={v}" for k, v in (env or {}).items()), *(str(a) for a in argv)]]
    line = " ".join(words)
    if len(line) + 2 <= WIDTH:
        return line
    lines = [""]
    for group in _groups(words):
        if lines[-1] and len(lines[-1]) + 1 + len(group) + 4 > WIDTH:
            lines.append("    " + group)
        else:
            lines[-1] = f"{lines[-1]} {group}" if lines[-1] else group
    return " \\\n".join(lines)


def show_command(argv: Sequence[str], env: Mapping[str, str] | None = None) -> None:
    """Print a command the way you would type it in a shell (long ones folded)."""
    print("$ " + command_line(argv, env))


def fold_output(text: str, after: str) -> str:
    """TEXT with each line longer than WIDTH folded after any character of AFTER (`,` and `:`
    for mount options), continuation lines indented two spaces: the same characters, wrapped
    to be read. Lines with nowhere to fold stay whole."""
    out: list[str] = []
    for line in text.splitlines():
        if len(line) <= WIDTH:
            out.append(line)
            continue
        pieces, start = [], 0
        for i, char in enumerate(line):
            if char in after:
                pieces.append(line[start:i + 1])
                start = i + 1
        pieces.append(line[start:])
        current = ""
        for piece in pieces:
            if current and len(current) + len(piece) > WIDTH:
                out.append(current)
                current = "  "
            current += piece
        out.append(current)
    return "\n".join(out)


def _print_output(result: Result, fold: str = "") -> None:
    text = (result.stdout + result.stderr).rstrip()
    if text:
        print(fold_output(text, fold) if fold else text)


def _checked(result: Shown, check: bool) -> Shown:
    if check and not result.ok:
        detail = (result.stderr or result.stdout).strip().splitlines()
        last = detail[-1] if detail else f"exit {result.returncode}"
        raise CommandFailed(
            _("`{argv}` failed: {last}").format(argv=shlex.join(result.argv), last=last),
            _("read its output above"),
        )
    return result


def sh(argv: Sequence[str], *, check: bool = True, quiet: bool = False,
       fold: str = "") -> Shown:
    """Run a command on the Docker host, showing it and what it printed.

    Args:
        argv: the command as an argument list.
        check: raise when it fails (otherwise its error text is shown).
        quiet: show only the command line, not its output.
        fold: fold output lines longer than WIDTH after these characters (`",:"` for mount
            options); the returned output is unchanged.

    Returns:
        Its exit code and output, for the next line of the cell.
    """
    argv = [str(a) for a in argv]
    show_command(argv)
    ran = host().run(argv, check=False)
    result = Shown(ran.argv, ran.returncode, ran.stdout, ran.stderr)
    if not quiet:
        _print_output(result, fold)
    return _checked(result, check)


def docker(argv: Sequence[str], *, check: bool = True, quiet: bool = False,
           env: Mapping[str, str] | None = None, show: bool = True, fold: str = "") -> Shown:
    """`docker ARGV...` with the docker CLI: print the line, run exactly it, print its output.

    Args:
        argv: the arguments after `docker`.
        check: raise when it fails.
        quiet: show only the command line, not its output.
        env: variables set for this one command (shown in front, as a shell line sets them).
        show: print the line and the output (False: run it silently, for a check).
        fold: fold output lines longer than WIDTH after these characters (as `sh`).

    Returns:
        Its exit code and output (`.stdout`), for the next line of the cell.

    Raises:
        HostToolMissing: there is no docker command on this machine.
        CommandFailed: it exited non-zero and check is true.
    """
    full = ["docker", *(str(a) for a in argv)]
    if show:
        show_command(full, env)
    if system().which("docker") is None:
        raise HostToolMissing(_("There is no `docker` command on this machine."),
                              _("install the Docker CLI (`labkit engine up` does)"))
    proc = system().run(full, env=None if not env else {**os.environ, **env})
    result = Shown(tuple(full), proc.returncode, proc.stdout, proc.stderr)
    if show and not quiet:
        _print_output(result, fold)
    return _checked(result, check)
