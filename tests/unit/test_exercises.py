"""labkit.lab.exercises: verdicts, "not answered yet", and the second hint on a second try."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from labkit.lab import exercises as ex


@pytest.fixture(autouse=True)
def fresh_tries() -> Iterator[None]:
    ex.reset_tries()
    yield
    ex.reset_tries()


def test_a_pass_and_a_fail_read_plainly() -> None:
    assert str(ex.passed("9.1 x", "right")) == "[PASSED] 9.1 x: right"
    wrong = ex.failed("9.1 x", "wrong", "look at y")
    assert not wrong and str(wrong) == "[NOT YET] 9.1 x: wrong\n  hint: look at y"


def test_the_second_hint_comes_with_the_second_wrong_try() -> None:
    first = ex.failed("9.2 x", "wrong", "the idea", "the detail")
    assert (first.tries, first.more) == (1, "")
    second = ex.failed("9.2 x", "still wrong", "the idea", "the detail")
    assert (second.tries, second.more) == (2, "the detail")
    assert str(second).endswith("  hint: the idea\n  hint 2: the detail")
    assert ex.tries("9.2 x") == 2 and ex.tries("9.3 other") == 0


def test_a_pass_starts_the_count_over_and_a_check_without_more_is_unchanged() -> None:
    ex.failed("9.4 x", "wrong", "h", "m")
    ex.passed("9.4 x", "right")
    assert ex.failed("9.4 x", "wrong", "h", "m").more == ""
    ex.failed("9.5 y", "wrong", "h")
    assert "hint 2" not in str(ex.failed("9.5 y", "wrong", "h"))


def test_not_answered_yet_counts_as_no_try() -> None:
    result = ex.unanswered("9.6 x", "a set of names")
    assert not result and result.message == "not answered yet"
    assert "replace the `...` with a set of names" in result.hint
    assert ex.tries("9.6 x") == 0


@pytest.mark.parametrize("answer,expected", [
    (..., True), (None, True), ("", True), ("  TODO ", True), ({...}, True), ([1, ...], True),
    ((...,), True), (0, False), ("net", False), ({"net"}, False), ([], False),
])
def test_placeholders_are_recognised(answer: object, expected: bool) -> None:
    assert ex.is_unanswered(answer) is expected
