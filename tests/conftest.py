"""Shared test setup: markers are declared in pyproject.toml (--strict-markers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which engine the tests run on and how strictly the notebooks are compared."""
    from labkit.base.engine import reachable

    if not reachable():
        return ["labkit engine: none answers (engine and notebook tests are skipped)"]
    from labkit.recording import strictness

    live = strictness.live_profile()
    lines = ["labkit engine: " + " ".join(f"{k}={v}" for k, v in live.items())]
    notebooks = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]*.ipynb"))
    modes = {strictness.mode(nb, live).word: strictness.mode(nb, live).reason for nb in notebooks}
    for word, reason in sorted(modes.items(), reverse=True):
        lines.append(f"labkit notebooks: {word} ({reason})")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip engine and notebook tests, with the reason, when no engine answers or not root."""
    needs = [i for i in items
             if i.get_closest_marker("engine") or i.get_closest_marker("notebooks")]
    if not needs:
        return
    from labkit.base.engine import reachable

    reason = None
    if os.geteuid() != 0:
        reason = "needs root on the Docker host"
    elif not reachable():
        reason = "no Docker Engine answers (run `labkit engine up`)"
    if reason and os.environ.get("LABKIT_REQUIRE_ENGINE") == "1":
        raise pytest.UsageError(f"engine tests required but cannot run: {reason}")
    if reason:
        for item in needs:
            item.add_marker(pytest.mark.skip(reason=reason))
