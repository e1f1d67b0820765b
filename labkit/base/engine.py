"""Reach the Docker Engine: the SDK client, and the machine labkit acts on (the unit tests' seam).

Taught in: 00-preflight. Installing, starting and stopping an engine is labkit.cli.provision's.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from labkit.base import settings
from labkit.base.errors import ENGINE_HINT, EngineUnavailable
from labkit.base.i18n import _

# root's PATH may lack the sbin folders (su without -l, sudo's secure_path elsewhere).
SEARCH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def _run(argv: Sequence[str], env: Mapping[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(argv), env=None if env is None else dict(env),  # noqa: S603
                              capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", str(exc))


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", ""), *SEARCH_DIRS])
    return shutil.which(name, path=path)


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _docker_from_env() -> Any:
    return docker.from_env(version="auto", timeout=120)


def spawn(
    argv: Sequence[str], log: Path, *, netns: str | None = None
) -> subprocess.Popen[bytes]:
    """Start dockerd in its own session, its output going to a log file.

    Args:
        argv: the dockerd command line.
        log: file that collects its output.
        netns: run it inside this named network namespace (`ip netns exec`).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    with open(log, "ab") as out:
        return subprocess.Popen(  # noqa: S603 - argument list, no shell
            full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


@dataclass(frozen=True)
class System:
    """This machine as labkit touches it; the one seam unit tests replace (00-preflight).

    Attributes:
        run: run an argument list (never a shell); a missing program exits 127.
        which: a program's path (PATH, then the sbin and bin folders), or None.
        exists: whether a path exists.
        read_text: a file's text ("" when unreadable).
        docker: a new Docker SDK client for the engine in the environment.
        spawn: start a long-running process (dockerd) with its output in a log file.
        is_root, system: who we are and which OS ("Linux", "Darwin").
    """

    run: Callable[..., subprocess.CompletedProcess[str]] = _run
    which: Callable[[str], str | None] = _which
    exists: Callable[[str], bool] = os.path.exists
    read_text: Callable[[str], str] = _read_text
    docker: Callable[[], Any] = _docker_from_env
    spawn: Callable[[list[str], Path], Any] = spawn
    is_root: Callable[[], bool] = lambda: settings.is_root()  # noqa: E731 - late-bound
    system: Callable[[], str] = platform.system


_system = System()


_client: Any = None
_forced: Any = None  # set by use_client (the unit tests' fake client): answers without a ping
_generation = 0  # bumped by reset_client: what cached engine facts are checked against


def system() -> System:
    """The machine labkit acts on (00-preflight)."""
    return _system


def use_system(new: System) -> System:
    """Act on another machine from now on (a fake, in unit tests); returns the previous one."""
    global _system
    previous, _system = _system, new
    reset_client()
    return previous


def client() -> docker.DockerClient:
    """A Docker SDK client for the current engine, at the API version the engine speaks.

    Raises:
        EngineUnavailable: no engine answers.
    """
    global _client
    if _forced is not None:
        return _forced
    if _client is not None:
        return _client
    try:
        c = _system.docker()
        c.ping()
    except Exception as exc:  # noqa: BLE001 - every failure here means "no engine"
        raise EngineUnavailable(_("No Docker Engine answers."), _(ENGINE_HINT)) from exc
    _client = c
    return c


def use_client(c: Any | None) -> Any | None:
    """Make `client()` answer C from now on, without a ping; None goes back to a real client.

    The unit tests' seam (00-preflight): every module asks `client()`, so one fake client
    answers all of them. The cached client and engine facts are forgotten first
    (`reset_client`), so no fact read from another engine survives.

    Args:
        c: the client to use (a fake with the SDK's methods), or None.

    Returns:
        The previous client set here, or None when there was none.
    """
    global _forced
    reset_client()
    previous, _forced = _forced, c
    return previous


def reset_client() -> None:
    """Forget the cached client (after the engine started or stopped).

    The engine facts are cached per client (`labkit.base.facts`), so they go with it.
    """

    global _client, _generation
    if _client is not None:
        try:
            _client.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead client may fail
            pass
    _client = None
    _generation += 1


def generation() -> int:
    """How many times the client was forgotten (`reset_client`); cached engine facts key on it."""
    return _generation


def reachable() -> bool:
    """True when an engine answers a ping."""
    try:
        client()
        return True
    except EngineUnavailable:
        return False


def find_tool(name: str) -> str | None:
    """Where a host tool's program is (PATH, then /usr/sbin, /sbin, ...), or None (00-preflight)."""
    return _system.which(name)
