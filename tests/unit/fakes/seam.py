"""The unit tests' one seam (as docker-py's fake_api_client), and the fakes that fail loudly.

labkit reaches the machine through four doors: `host()` (commands and files on the Docker
host), `client()` (the Docker SDK), `settings.is_root()` and `engine.system()` (apt, dockerd,
which). `use_fakes()` puts a fake behind each door it is given and puts the previous one back
on exit, so no test patches a module's imported `host`, `client` or `require_root`.

The `fakes` fixture (conftest.py) calls it for one test; the autouse fixture there first puts
a fake behind every door that fails loudly (`Unfaked`), so a test that forgets to fake
something gets an error, never this machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labkit.base import engine, settings, wait
from labkit.base import host as host_mod

if TYPE_CHECKING:
    from .clock import FakeClock


class Unfaked(BaseException):  # noqa: N818 - says what happened, as pytest shows it
    """A test reached a door it did not fake. A BaseException, so that labkit's own
    `except Exception` fallbacks cannot swallow it and carry on against this machine."""


def unfaked(what: str, hint: str = "give it one with the `fakes` fixture"
            ) -> Callable[..., Any]:
    """A callable that fails the test loudly when called: WHAT was not faked."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        shown = " ".join(str(a) for a in args)
        raise Unfaked(f"this test did not fake {what} (called with: {shown or 'nothing'}); "
                      + hint)

    return refuse


# -- the seam --------------------------------------------------------------------------------
@dataclass
class Fakes:
    """What stands behind each door now (the values `use_fakes` installed or kept)."""

    host: Any = None
    client: Any = None
    root: bool | None = None
    system: engine.System | None = None
    clock: FakeClock | None = None


_current = [Fakes()]  # a stack: what each open use_fakes block installed, innermost last


@contextmanager
def use_fakes(*, host: Any = None, client: Any = None, root: bool | None = None,
              system: engine.System | None = None, clock: FakeClock | None = None
              ) -> Iterator[Fakes]:
    """Put fakes behind labkit's doors for the block; what is not given stays as it was.

    Args:
        host: answers `host()` (a FakeHost).
        client: answers `client()` without a ping (a FakeClient).
        root: what `settings.is_root()` says, hence `require_root()` and the state folder.
        system: the machine `engine.system()` is (FakeMachine.system()). Given without a
            client, `client()` comes from this system's `docker()`, as it would for real.
        clock: the time labkit.base.wait reads and sleeps on (wait's own seam: its module
            attributes `clock` and `sleep`).

    Yields:
        What now stands behind every door.
    """
    now = Fakes(**vars(_current[-1]))
    with ExitStack() as undo:
        if system is not None:
            previous_system = engine.use_system(system)
            undo.callback(engine.use_system, previous_system)
            now.system = system
            if client is None:  # the fake machine's own engine answers
                undo.callback(engine.use_client, engine.use_client(None))
                now.client = None
        if client is not None:
            undo.callback(engine.use_client, engine.use_client(client))
            now.client = client
        if host is not None:
            undo.callback(host_mod.use_host, host_mod.use_host(host))
            now.host = host
        if root is not None:
            undo.callback(settings.use_root, settings.use_root(root))
            now.root = root
        if clock is not None:
            undo.callback(setattr, wait, "sleep", wait.sleep)
            undo.callback(setattr, wait, "clock", wait.clock)
            wait.clock, wait.sleep = clock.clock, clock.sleep
            now.clock = clock
        _current.append(now)
        undo.callback(_current.pop)
        yield now


def strict_system() -> engine.System:
    """A machine on which every act fails loudly: the autouse fixture's System."""
    return engine.System(
        run=unfaked("engine.system().run"), which=unfaked("engine.system().which"),
        exists=unfaked("engine.system().exists"), read_text=unfaked("engine.system().read_text"),
        docker=unfaked("engine.system().docker"), spawn=unfaked("engine.system().spawn"),
        is_root=lambda: settings.is_root(), system=unfaked("engine.system().system"))


class UnfakedClient:
    """The autouse fixture's client: any use of it fails loudly."""

    def __getattr__(self, name: str) -> Any:
        unfaked(f"client().{name}")()
