from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base import settings

from .fakes.seam import Fakes


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("ON", True),
                                            ("0", False), ("", False), ("no", False)])
def test_offline_reads_the_variable(monkeypatch: pytest.MonkeyPatch, value: str,
                                    expected: bool) -> None:
    monkeypatch.setenv(settings.OFFLINE_VAR, value)
    assert settings.offline() is expected


def test_state_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(settings.STATE_VAR, str(tmp_path))
    assert settings.state_dir() == tmp_path


def test_state_dir_for_non_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                fakes: Callable[..., Fakes]) -> None:
    monkeypatch.delenv(settings.STATE_VAR, raising=False)
    fakes(root=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert settings.state_dir() == tmp_path / "labkit"
    fakes(root=True)
    assert settings.state_dir() == Path("/var/lib/labkit")


def test_use_root_overrides_and_gives_back_the_previous_answer() -> None:
    real = hasattr(os, "geteuid") and os.geteuid() == 0
    first = settings.use_root(None)  # the autouse fixture's answer: not root
    try:
        assert first is False and settings.is_root() is real
        assert settings.use_root(not real) is None and settings.is_root() is (not real)
    finally:
        settings.use_root(first)
    assert settings.is_root() is False


def test_host_mode_rejects_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.HOST_MODE_VAR, "sideways")
    assert settings.host_mode() == "auto"
    monkeypatch.setenv(settings.HOST_MODE_VAR, "helper")
    assert settings.host_mode() == "helper"
