"""One way to wait: ask a probe again and again until it answers, or give up with a hint.

Taught in: no notebook of its own; every chapter waits with it (00-preflight's `labkit engine
up` for dockerd, 01 and 03 for a web server, 04 for a container to stop). It follows
testcontainers' `core/waiting_utils.py`: what it waits for, a timeout, an interval.

Time is read through the module attributes `clock` and `sleep`, so a unit test replaces both
with a fake clock and waits no real second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from labkit.base.errors import LabkitError
from labkit.base.i18n import N_, _

T = TypeVar("T")

# Looked up on every call (never bound at import), so tests can swap them.
clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

HINT = N_("run the cell again in a moment; if it fails again, read the log of what should answer")


class WaitTimeout(LabkitError):
    """Something did not happen within its time.

    Attributes:
        what: what was waited for.
        timeout: for how many seconds.
        last: the last exception the probe raised that meant "not yet", or None.
    """

    def __init__(self, message: str, hint: str = HINT, *, what: str = "", timeout: float = 0.0,
                 last: BaseException | None = None) -> None:
        super().__init__(message, _(hint))
        self.what = what
        self.timeout = timeout
        self.last = last


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    retry_on: tuple[type[BaseException], ...] = (),
    message: str | None = None,
    hint: str = HINT,
) -> T:
    """Call PROBE until it answers; return the answer.

    The probe is always called at least once, and once more at the deadline. None or False
    means "not yet"; anything else (also 0 or "") is the answer. An exception the probe raises
    ends the wait at once, unless it is one of `retry_on`, which also mean "not yet".

    Args:
        what: what is waited for, for the error message ("the registry to answer").
        probe: asked again every `interval` seconds.
        timeout: seconds to keep asking.
        interval: seconds between two questions.
        retry_on: exception types that mean "not yet".
        message: the error message instead of the default (texts learners already know).
        hint: the one thing to do when it gives up.

    Returns:
        The probe's first answer that is neither None nor False.

    Raises:
        WaitTimeout: no answer within `timeout`; `.last` holds the last retried exception.
    """
    deadline = clock() + timeout
    last: BaseException | None = None
    while True:
        try:
            answer = probe()
        except retry_on as exc:
            answer, last = None, exc
        if answer is not None and answer is not False:
            return answer
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(interval, remaining))
    raise WaitTimeout(message or _("Gave up waiting for {what} after {timeout:g} s.").format(
                          what=what, timeout=timeout), _(hint),
                      what=what, timeout=timeout, last=last)
