"""labkit.lab.flags: a learner's `docker run` flags, checked before they run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError
from labkit.lab import session
from labkit.lab.flags import learner_flags

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient
from .fakes.seam import Fakes


def test_flags_are_kept_as_typed_and_the_equals_form_split() -> None:
    assert learner_flags(["--init", "--pid", "container:c1"]) == [
        "--init", "--pid", "container:c1"]
    assert learner_flags(["--pid=container:c1", "-p", "127.0.0.1:8080:80"]) == [
        "--pid", "container:c1", "-p", "127.0.0.1:8080:80"]


@pytest.mark.parametrize("flags,message,hint", [
    ("--init", "not a list of strings", "one word per string"),
    (["-P"], "`-P` is not needed", "127.0.0.1"),
    (["-p", "8080:80"], "every interface", "127.0.0.1"),
    (["--dns", "8.8.8.8"], "`--dns` is not needed", "through Docker itself"),
    (["-v", "/etc:/etc"], "`-v` is not needed", "no file of this machine"),
    (["--pid"], "needs a value", '["--pid", "VALUE"]'),
    (["--frobnicate"], "not a `docker run` flag", "only flags"),
])
def test_a_flag_the_course_cannot_allow_is_refused_with_what_to_write(
        flags: object, message: str, hint: str) -> None:
    with pytest.raises(LabkitError) as err:
        learner_flags(flags)
    assert message in err.value.message and hint in err.value.hint


def test_a_learners_flags_run_in_the_line_and_joining_a_network_drops_our_dns(
        monkeypatch: pytest.MonkeyPatch, fakes: Callable[..., Fakes]) -> None:
    monkeypatch.setattr(session, "require_local_image", lambda image: None)
    client = FakeClient()
    cli = CliEngine(client)
    fakes(client=client, system=cli.system())
    lab = session.Lab("04", session="s0a0b0c")
    lab.run("labkit/busybox", ["sleep", "60"], name="peek",
            flags=["--pid", "container:c1"], show=False)
    ran = cli.calls[-1][0]
    assert ran[:7] == ["docker", "run", "-d", "--name", "peek", "--pid", "container:c1"]
    assert "--dns" in ran
    lab.run("labkit/busybox", ["sleep", "60"], name="side",
            flags=["--network", "container:c1"], show=False)
    assert "--dns" not in cli.calls[-1][0]  # Docker refuses --dns beside container:NAME
    with pytest.raises(LabkitError):
        lab.run("labkit/busybox", name="bad", flags=["--privileged"], show=False)
    assert len(cli.calls) == 2
