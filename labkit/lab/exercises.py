"""Exercise checks: each returns a CheckResult with passed, message and hint.

Taught in: every chapter's exercises. Chapter-specific checks live in each chapter's checks.py.

A wrong answer first gets a hint that teaches the idea; from the second wrong try of the same
exercise on (in this Python process, that is this notebook's kernel) it also gets `more`, a
more specific hint, when the check gives one. A placeholder left as it is (`...`) is "not
answered yet" (`unanswered()`), which counts as no try.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labkit.base.i18n import _


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise.

    Attributes:
        exercise: a short name, e.g. "01.1 .dockerignore".
        passed: whether the answer is right.
        message: what the check found.
        hint: for a wrong answer, what to look at next.
        more: a more specific hint, shown from the second wrong try on ("" before).
        tries: how many wrong tries of this exercise so far, this one included (0 if unknown).
    """

    exercise: str
    passed: bool
    message: str
    hint: str = ""
    more: str = ""
    tries: int = 0

    def __str__(self) -> str:
        mark = _("PASSED") if self.passed else _("NOT YET")
        text = f"[{mark}] {self.exercise}: {self.message}"
        if not self.passed and self.hint:
            text += "\n  " + _("hint: {hint}").format(hint=self.hint)
        if not self.passed and self.more:
            text += "\n  " + _("hint 2: {more}").format(more=self.more)
        return text

    def _repr_pretty_(self, p, cycle: bool) -> None:  # type: ignore[no-untyped-def]
        p.text(str(self))

    def __bool__(self) -> bool:
        return self.passed


# exercise -> wrong tries so far in this process (a passing answer starts it over).
_tries: dict[str, int] = {}


def passed(exercise: str, message: str) -> CheckResult:
    """A passing verdict (and the exercise's count of wrong tries starts over)."""
    _tries.pop(exercise, None)
    return CheckResult(exercise, True, message)


def failed(exercise: str, message: str, hint: str, more: str = "") -> CheckResult:
    """A failing verdict with a hint that teaches; `more` is added from the second wrong try."""
    tries = _tries[exercise] = _tries.get(exercise, 0) + 1
    return CheckResult(exercise, False, message, hint, more if tries >= 2 else "", tries)


def unanswered(exercise: str, what: str) -> CheckResult:
    """"Not answered yet": the placeholder is still there. Counts as no try.

    Args:
        exercise: the exercise's short name.
        what: what to put in place of the `...`, e.g. "the set of shared types".
    """
    return CheckResult(
        exercise,
        False,
        _("not answered yet"),
        _("replace the `...` with {what}, then run the cell again").format(what=what),
    )


def is_unanswered(answer: Any) -> bool:
    """Whether an answer is still a placeholder: `...`, None, "", "TODO", or a collection
    holding `...` (so `{...}` and `[...]` count too)."""
    if answer is Ellipsis or answer is None:
        return True
    if isinstance(answer, str):
        return answer.strip() in {"", "...", "TODO"}
    if isinstance(answer, list | tuple | set | frozenset):
        return any(x is Ellipsis for x in answer)
    return False


def tries(exercise: str) -> int:
    """How many wrong tries of an exercise this process has seen since it last passed."""
    return _tries.get(exercise, 0)


def reset_tries(exercise: str | None = None) -> None:
    """Forget the wrong tries of one exercise, or of all (tests call this)."""
    if exercise is None:
        _tries.clear()
    else:
        _tries.pop(exercise, None)
