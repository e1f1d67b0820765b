"""Exercise checks: each returns a CheckResult with passed, message and hint.

Taught in: every chapter's exercises. Chapter-specific checks live in labkit.checks_*.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one exercise.

    Attributes:
        exercise: a short name, e.g. "01.1 .dockerignore".
        passed: whether the answer is right.
        message: what the check found.
        hint: for a wrong answer, what to look at next.
    """

    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        mark = "PASSED" if self.passed else "NOT YET"
        text = f"[{mark}] {self.exercise}: {self.message}"
        if not self.passed and self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def _repr_pretty_(self, p, cycle: bool) -> None:  # type: ignore[no-untyped-def]
        p.text(str(self))

    def __bool__(self) -> bool:
        return self.passed


def passed(exercise: str, message: str) -> CheckResult:
    """A passing verdict."""
    return CheckResult(exercise, True, message)


def failed(exercise: str, message: str, hint: str) -> CheckResult:
    """A failing verdict with a hint that teaches."""
    return CheckResult(exercise, False, message, hint)
