from __future__ import annotations

import docker.errors
import pytest
import requests
import requests.exceptions

from labkit.base import errors
from labkit.cli import commands as cli

from .fakes.machine import FakeMachine


def _api_error(status: int, text: str) -> docker.errors.APIError:
    resp = requests.Response()
    resp.status_code = status
    return docker.errors.APIError("boom", response=resp, explanation=text)


def test_name_conflict_becomes_name_taken() -> None:
    mapped = errors.translate(_api_error(409, 'Conflict. The container name "/web" is already '
                                              "in use"))
    assert isinstance(mapped, errors.NameTaken)
    assert "web" in str(mapped) and "pick another name" in str(mapped)


def test_missing_image_becomes_unknown_image() -> None:
    mapped = errors.translate(docker.errors.ImageNotFound("No such image: nope:1"))
    assert isinstance(mapped, errors.UnknownImage)
    assert "labkit images" in mapped.hint


def test_dead_engine_becomes_engine_unavailable() -> None:
    mapped = errors.translate(requests.exceptions.ConnectionError("refused"))
    assert isinstance(mapped, errors.EngineUnavailable)
    assert "labkit engine up" in mapped.hint


def test_unrelated_errors_are_not_ours() -> None:
    assert errors.translate(ZeroDivisionError()) is None


def test_friendly_reraises_as_labkit_error() -> None:
    with pytest.raises(errors.NameTaken) as info:
        with errors.friendly():
            raise _api_error(409, "network with name net0 already exists")
    assert isinstance(info.value.__cause__, docker.errors.APIError)


def test_message_and_hint_are_both_shown() -> None:
    text = str(errors.LabkitError("It broke.", "do this"))
    assert text == "It broke.\n  -> do this"


def test_cli_prints_a_message_not_a_traceback(machine: FakeMachine,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert machine.engine is None  # `labkit images` needs one: EngineUnavailable
    assert cli.main(["images"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("labkit: No Docker Engine answers.")
    assert errors.ENGINE_HINT in err and "Traceback" not in err
