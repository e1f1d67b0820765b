"""Fixtures for tests against the real engine: a Lab that always cleans up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.lab.session import Lab


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A lab for chapter 99 (tests), removed at the end whatever happens."""
    the_lab = Lab("99")
    try:
        yield the_lab
    finally:
        the_lab.cleanup()
