"""The dev container test runs only when asked for (`-m devcontainer`, as .ci/run does): it takes
many minutes, so `./course test` leaves it out. npm's node_modules here is not collected."""

from __future__ import annotations

import pytest

collect_ignore = ["node_modules"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "devcontainer" in (config.option.markexpr or ""):
        return
    left_out = [i for i in items if i.get_closest_marker("devcontainer")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [i for i in items if not i.get_closest_marker("devcontainer")]
