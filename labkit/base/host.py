"""Run commands on the Docker host: directly, or through a privileged helper container.

Taught in: 00-preflight (where the host is). Chapters 02-04 read the host through this.

Commands are always argument lists; nothing is ever passed to a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labkit.base import settings
from labkit.base.errors import CommandFailed, HostToolMissing, LabkitError, NotRoot
from labkit.base.facts import choose_mode, facts_or_none
from labkit.base.i18n import _

HELPER_IMAGE = "labkit/busybox"  # a course image (labkit images), never the learner's busybox
HELPER_LABEL = "io.labkit.host-helper"


@dataclass(frozen=True)
class Result:
    """What a host command printed and how it ended."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.returncode == 0


class Host:
    """The machine the Docker Engine runs on.

    Args:
        mode: "local" runs commands here; "helper" runs them in a short-lived container with
            the capabilities to enter the namespaces of the host's dockerd (Docker Desktop,
            remote engines).
    """

    def __init__(self, mode: str = "local") -> None:
        if mode not in {"local", "helper"}:
            raise ValueError(f"unknown host mode {mode!r}")
        self.mode = mode

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        input: str | None = None,
        timeout: float = 120,
    ) -> Result:
        """Run one command on the host.

        Args:
            argv: the program and its arguments.
            check: raise CommandFailed when it exits non-zero.
            input: text for its standard input.
            timeout: seconds before it is stopped.

        Returns:
            A Result with its exit code and output.

        Raises:
            HostToolMissing: the program is not installed.
            CommandFailed: it exited non-zero and check is true.
        """
        argv = tuple(str(a) for a in argv)
        if not argv:
            raise ValueError("empty command")
        result = self._run_local(argv, input, timeout) if self.mode == "local" else (
            self._run_helper(argv, input, timeout)
        )
        if check and not result.ok:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit {result.returncode}"
            raise CommandFailed(
                _("`{argv}` failed: {last}").format(argv=' '.join(argv), last=last),
                _("read the message; `labkit doctor` checks the host"),
            )
        return result

    def json(self, argv: Sequence[str]) -> Any:
        """Run a command that prints JSON (`ip -j ...`, `lsns -J`) and parse it."""
        out = self.run(argv).stdout.strip()
        return json.loads(out) if out else []

    def read_text(self, path: str) -> str:
        """Read a file on the host."""
        if self.mode == "local":
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    return fh.read()
            except PermissionError as exc:
                raise NotRoot(_("Cannot read {path}.").format(path=path),
                              _("run the course as root (sudo)")) from exc
        return self.run(["cat", path]).stdout

    def has_tool(self, name: str) -> bool:
        """True when the host has this program on its PATH."""
        if self.mode == "local":
            return shutil.which(name) is not None
        return self.run(["which", name], check=False).ok

    def _run_local(self, argv: tuple[str, ...], input: str | None, timeout: float) -> Result:
        if shutil.which(argv[0]) is None and not os.path.exists(argv[0]):
            raise HostToolMissing(
                _("The host has no `{argv}` command.").format(argv=argv[0]),
                _("install the course's host tools with `labkit engine up` (or see `labkit "
                  "doctor`)"),
            )
        try:
            proc = subprocess.run(  # noqa: S603 - argument list, no shell
                argv, input=input, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise CommandFailed(
                _("`{argv}` did not finish within {timeout:.0f} s.").format(
                    argv=" ".join(argv), timeout=timeout
                ),
                _("check the engine and host with `labkit doctor`"),
            ) from exc
        return Result(argv, proc.returncode, proc.stdout, proc.stderr)

    def _run_helper(self, argv: tuple[str, ...], input: str | None, timeout: float) -> Result:
        from labkit.base.engine import client

        if input is not None:
            raise LabkitError(_("Standard input is not supported through the host helper."))
        helper = client().containers.create(
            HELPER_IMAGE, helper_command(argv), cap_add=HELPER_CAPS,
            security_opt=["seccomp=unconfined", "apparmor=unconfined"],
            pid_mode="host", network_mode="host", labels={HELPER_LABEL: "1"},
        )
        try:  # removed however it ends, even when it cannot start
            helper.start()
            code = int(helper.wait(timeout=timeout).get("StatusCode", 1))
            out = helper.logs(stdout=True, stderr=False).decode(errors="replace")
            err = helper.logs(stdout=False, stderr=True).decode(errors="replace")
            return Result(argv, code, out, err)
        finally:
            helper.remove(force=True)


# Run inside the helper container (constant text; the command arrives as "$@", never
# spliced into the script). It enters the namespaces of the dockerd that shares the helper's
# network namespace (network_mode=host), i.e. the Docker host itself, and has the host's own
# /bin/sh exec the command, so the host's tools run rather than busybox's applets.
HELPER_SCRIPT = (
    'for p in $(pidof dockerd); do '
    '[ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/self/ns/net)" ] || continue; '
    'exec nsenter -t "$p" -m -u -n -i -p -- /bin/sh -c \'exec "$@"\' sh "$@"; done; '
    'echo "labkit helper: no dockerd found on the host" >&2; exit 127'
)
HELPER_CAPS = ["SYS_ADMIN", "SYS_PTRACE", "NET_ADMIN", "NET_RAW", "DAC_READ_SEARCH"]


def helper_command(argv: Sequence[str]) -> list[str]:
    """The command a helper container runs: enter the Docker host's namespaces, run argv."""
    return ["sh", "-c", HELPER_SCRIPT, "labkit-helper", *argv]


_override: Host | None = None  # set by use_host (the unit tests' fake host)


def host() -> Host:
    """The Docker host of the current engine (detected once per process, unless `use_host`
    set another)."""
    return _override if _override is not None else _detected()


@lru_cache(maxsize=1)
def _detected() -> Host:
    found = facts_or_none()
    return Host(found.host_mode if found is not None else choose_mode(None))


def use_host(h: Host | None) -> Host | None:
    """Make `host()` answer H from now on; None goes back to the detected host (00-preflight).

    The unit tests' seam: every chapter asks `host()`, so one fake host answers all of them.

    Args:
        h: the host to act on (any object with Host's methods), or None.

    Returns:
        The previous override, or None when there was none.
    """
    global _override
    previous, _override = _override, h
    return previous


def require_root() -> None:
    """Raise NotRoot unless this process can act on the host as root."""
    if host().mode == "local" and not settings.is_root():
        raise NotRoot(
            _("This step changes the Docker host (mounts, namespaces, links), which needs root."),
            _("start JupyterLab as root (sudo ./course lab), or use a throwaway VM"),
        )
