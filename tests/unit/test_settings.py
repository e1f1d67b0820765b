from __future__ import annotations

from pathlib import Path

import pytest

from labkit.base import settings


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("ON", True),
                                            ("0", False), ("", False), ("no", False)])
def test_offline_reads_the_variable(monkeypatch: pytest.MonkeyPatch, value: str,
                                    expected: bool) -> None:
    monkeypatch.setenv(settings.OFFLINE_VAR, value)
    assert settings.offline() is expected


def test_state_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(settings.STATE_VAR, str(tmp_path))
    assert settings.state_dir() == tmp_path


def test_state_dir_for_non_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(settings.STATE_VAR, raising=False)
    monkeypatch.setattr(settings, "is_root", lambda: False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert settings.state_dir() == tmp_path / "labkit"


def test_host_mode_rejects_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.HOST_MODE_VAR, "sideways")
    assert settings.host_mode() == "auto"
    monkeypatch.setenv(settings.HOST_MODE_VAR, "helper")
    assert settings.host_mode() == "helper"
