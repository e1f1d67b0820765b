"""wait_for on a fake clock: answers, retries, the deadline and what the error says."""

from __future__ import annotations

import pytest

from labkit.base.errors import LabkitError
from labkit.base.wait import WaitTimeout, wait_for

from .fakes.clock import FakeClock


def test_returns_the_first_real_answer(clock: FakeClock) -> None:
    answers = iter([None, False, "ready"])
    assert wait_for("the thing", lambda: next(answers), timeout=5, interval=0.5) == "ready"
    assert clock.sleeps == [0.5, 0.5]


def test_zero_and_empty_are_answers_not_waiting(clock: FakeClock) -> None:
    assert wait_for("a count", lambda: 0, timeout=1) == 0
    assert wait_for("a text", lambda: "", timeout=1) == ""
    assert clock.sleeps == []


def test_gives_up_at_the_deadline_after_a_last_try(clock: FakeClock) -> None:
    calls: list[float] = []

    def never() -> bool:
        calls.append(clock.now)
        return False

    with pytest.raises(WaitTimeout) as info:
        wait_for("the registry to answer", never, timeout=1, interval=0.3)
    # Never sleeps past the deadline, and asks once more right at it.
    assert clock.sleeps == pytest.approx([0.3, 0.3, 0.3, 0.1])
    assert calls[-1] == pytest.approx(1001.0)
    err = info.value
    assert isinstance(err, LabkitError)
    assert err.message == "Gave up waiting for the registry to answer after 1 s."
    assert err.hint and (err.what, err.timeout, err.last) == ("the registry to answer", 1, None)


def test_timeout_zero_still_asks_once(clock: FakeClock) -> None:
    calls = []
    with pytest.raises(WaitTimeout):
        wait_for("x", lambda: calls.append(1), timeout=0)
    assert calls == [1] and clock.sleeps == []


def test_a_given_message_and_hint_are_kept_word_for_word(clock: FakeClock) -> None:
    with pytest.raises(WaitTimeout) as info:
        wait_for("x", lambda: None, timeout=0.5, message="Nothing answers HTTP on 127.0.0.1:1.",
                 hint="look at the log")
    assert str(info.value) == "Nothing answers HTTP on 127.0.0.1:1.\n  -> look at the log"


def test_retry_on_means_not_yet_and_is_remembered(clock: FakeClock) -> None:
    errors = iter([ConnectionRefusedError("refused"), ConnectionResetError("reset")])

    def probe() -> int:
        raise next(errors, TimeoutError("slow"))

    with pytest.raises(WaitTimeout) as info:
        wait_for("a port", probe, timeout=0.4, interval=0.2, retry_on=(OSError,))
    assert isinstance(info.value.last, TimeoutError)

    answers = iter([ConnectionRefusedError(), 7])

    def flaky() -> int:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_for("a port", flaky, timeout=1, retry_on=(OSError,)) == 7


def test_other_exceptions_end_the_wait_at_once(clock: FakeClock) -> None:
    def exited() -> bool:
        raise LabkitError("web exited instead of serving.", "read its log")

    with pytest.raises(LabkitError, match="exited instead of serving") as info:
        wait_for("web", exited, timeout=30, retry_on=(OSError,))
    assert not isinstance(info.value, WaitTimeout) and clock.sleeps == []
