from __future__ import annotations

import pytest

from labkit import cli, doctor, engine


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "engine_info_or_none", lambda: None)
    monkeypatch.setattr(doctor.engine, "engine_info_or_none", lambda: None)


def test_without_an_engine_the_course_cannot_run(no_engine: None) -> None:
    rows = doctor.checks()
    assert not doctor.can_run(rows)
    first = rows[0]
    assert first.check == "engine reachable" and first.status == "FAIL"
    assert "labkit engine up" in first.fix


def test_every_failed_row_says_how_to_fix_it(no_engine: None) -> None:
    frame = doctor.table()
    failed = frame[frame["status"] != "ok"]
    assert len(failed) > 0
    assert all(fix.strip() for fix in failed["fix"])


def test_doctor_command_exits_non_zero_and_says_what_to_do(
        no_engine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "no Docker Engine answers" in out and "sudo labkit engine up" in out
    assert "cannot run yet" in out


def test_warnings_do_not_block() -> None:
    rows = [doctor.Check("engine reachable", True, "20.10"),
            doctor.Check("image: redis:7.0", False, "missing", "labkit images", blocking=False)]
    assert doctor.can_run(rows)
    assert [r.status for r in rows] == ["ok", "warn"]


def test_engine_down_leaves_an_engine_labkit_did_not_start(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path) -> None:
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path))
    assert "leaving it alone" in engine.down(progress=lambda m: None)


def test_engine_up_without_root_says_to_use_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit import errors, settings

    monkeypatch.setattr(engine, "reachable", lambda: False)
    monkeypatch.setattr(settings, "is_root", lambda: False)
    monkeypatch.setattr(engine.platform, "system", lambda: "Linux")
    with pytest.raises(errors.NotRoot) as info:
        engine.up(progress=lambda m: None)
    assert "sudo labkit engine up" in info.value.hint


def test_engine_up_elsewhere_points_to_docker_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit import errors

    monkeypatch.setattr(engine, "reachable", lambda: False)
    monkeypatch.setattr(engine.platform, "system", lambda: "Darwin")
    with pytest.raises(errors.EngineUnavailable) as info:
        engine.up(progress=lambda m: None)
    assert "Docker Desktop" in info.value.hint
