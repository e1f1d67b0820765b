"""One exception family whose messages speak to a learner: what went wrong, what to do.

Taught in: 00-preflight (how labkit reports a broken environment).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from labkit.base.i18n import N_, _


class LabkitError(Exception):
    """A problem the learner can act on.

    Args:
        message: what went wrong, in one sentence.
        hint: the one thing to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message


class EngineUnavailable(LabkitError):
    """No Docker Engine answers."""


class NotRoot(LabkitError):
    """The step needs root on the Docker host."""


class UnknownImage(LabkitError):
    """An image name the course does not know and the engine does not have."""


class NameTaken(LabkitError):
    """A name the learner asked for already belongs to something else."""


class HostToolMissing(LabkitError):
    """A command-line tool the lesson needs is not installed."""


class CommandFailed(LabkitError):
    """A host command exited non-zero."""


ENGINE_HINT = (
    N_("start it with `labkit engine up` (Debian/Ubuntu, as root), or start Docker Desktop, or "
       "point DOCKER_HOST at a running engine")
)


def translate(exc: BaseException) -> LabkitError | None:
    """Turn a Docker SDK or OS error into a LabkitError, or None when it is not ours to explain."""
    import docker.errors
    import requests.exceptions

    if isinstance(exc, LabkitError):
        return exc
    if isinstance(exc, docker.errors.DockerException) and "Error while fetching server API" in str(
        exc
    ):
        return EngineUnavailable(_("The Docker Engine does not answer."), _(ENGINE_HINT))
    if isinstance(exc, requests.exceptions.ConnectionError):
        return EngineUnavailable(_("The Docker Engine stopped answering."), _(ENGINE_HINT))
    if isinstance(exc, docker.errors.ImageNotFound):
        return UnknownImage(
            _("The engine has no such image: {exc}").format(exc=_explain(exc)),
            _("check the spelling; `labkit images` lists and prepares the course images"),
        )
    if isinstance(exc, docker.errors.APIError):
        text = _explain(exc)
        if exc.status_code == 409 or "already in use" in text or "already exists" in text:
            return NameTaken(
                _("That name is taken: {text}").format(text=text),
                _("pick another name, or remove the old one if it is yours"),
            )
        return LabkitError(
            _("The Docker Engine refused: {text}").format(text=text), _("read the message above")
        )
    if isinstance(exc, PermissionError):
        return NotRoot(
            _("Permission denied: {value}").format(value=exc.filename or exc),
            _("this step reads the Docker host; run the course as root (sudo)"),
        )
    return None


def _explain(exc: Any) -> str:
    return str(getattr(exc, "explanation", None) or exc)


@contextlib.contextmanager
def friendly() -> Iterator[None]:
    """Re-raise Docker SDK and OS errors as LabkitErrors with a hint."""
    try:
        yield
    except LabkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - translated or re-raised unchanged
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc


def install_notebook_handler() -> None:
    """In IPython, show a LabkitError as its message and hint, not as a traceback.

    Under the course's tests (LABKIT_CELL_ERRORS=fail) the cell then also fails, so a cell
    that only printed a problem cannot pass for one that worked.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def _handler(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):
        mapped = translate(value)
        if mapped is None:
            return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        print(f"labkit: {mapped}", file=sys.stderr)
        if os.environ.get("LABKIT_CELL_ERRORS") == "fail":
            return shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return None

    import docker.errors
    import requests.exceptions

    shell.set_custom_exc(
        (LabkitError, docker.errors.DockerException, requests.exceptions.ConnectionError,
         PermissionError),
        _handler,
    )
