"""Fixtures for tests against the real engine: a Lab that always cleans up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from docker.models.containers import Container

from labkit.images import catalog as images
from labkit.lab.session import Lab


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A lab for chapter 99 (tests), removed at the end whatever happens."""
    the_lab = Lab("99")
    try:
        yield the_lab
    finally:
        the_lab.cleanup()


@pytest.fixture
def box(lab: Lab, request: pytest.FixtureRequest) -> Container:
    """A running labkit/busybox container of the test's own module, named after it."""
    images.ensure(["labkit/busybox"], progress=lambda m: None)
    name = "t-ch02-" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return lab.run("labkit/busybox", ["sleep", "300"], name=name)
