"""Fixtures shared by the unit tests, all built on the one seam (fakes.seam.use_fakes).

- every test first gets fakes that fail loudly behind every door (autouse `no_real_machine`);
- `fakes(host=..., client=..., root=..., system=..., clock=...)` installs fakes for a test;
- `clock` is a FakeClock that labkit.base.wait reads;
- `machine` is a FakeMachine (apt, dockerd, which, an engine) with root.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .fakes.clock import FakeClock
from .fakes.host import FakeHost
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes, UnfakedClient, strict_system, unfaked, use_fakes


@pytest.fixture(autouse=True)
def no_real_machine(monkeypatch: pytest.MonkeyPatch,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fakes]:
    """Nothing a unit test does reaches this machine: host commands, files on the host, the
    engine, apt and which fail loudly unless the test faked them; not root; the state folder
    is a fresh one; no name is looked up in DNS (the lesson servers bind without getfqdn)."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    # A DNS query leaves this machine: socket's own module attribute, so a patch is the only
    # way; it also checks what test_echo_server and test_http_servers promise.
    monkeypatch.setattr(socket, "getfqdn", unfaked(
        "socket.getfqdn (a DNS query)", "serve with http_servers.serving, which binds without"))
    with use_fakes(host=FakeHost(strict=True), client=UnfakedClient(), root=False,
                   system=strict_system()) as strict:
        yield strict


@pytest.fixture
def fakes(no_real_machine: Fakes) -> Iterator[Callable[..., Fakes]]:
    """`fakes(host=..., client=..., root=..., system=..., clock=...)`: use these fakes for the
    rest of the test (see fakes.use_fakes); returns what now stands behind every door."""
    with ExitStack() as stack:
        def install(**given: Any) -> Fakes:
            return stack.enter_context(use_fakes(**given))

        yield install


@pytest.fixture
def clock(fakes: Callable[..., Fakes]) -> FakeClock:
    """A FakeClock that labkit.base.wait reads: sleeping moves it, instantly."""
    return fakes(clock=FakeClock()).clock  # type: ignore[return-value]


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            fakes: Callable[..., Fakes]) -> FakeMachine:
    """A fake machine with no engine and no tools, as root; tests fill it in before acting."""
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("LABKIT_HOST_MODE", raising=False)
    fake = FakeMachine()
    fakes(system=fake.system(), root=True)
    return fake


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """test_docs' report: per chapter, how many labkit names only one notebook cell uses."""
    from .test_docs import ONE_CELL_REPORT

    rows = terminalreporter.config.stash.get(ONE_CELL_REPORT, None)
    if rows:
        terminalreporter.write_sep("-", "labkit names only one notebook cell uses")
        for chapter, count, in_views in rows:
            terminalreporter.write_line(
                f"  {chapter:4} {count:3d}  ({in_views} in the chapter's views)")
