"""Fakes shared by chapter 04's unit tests: a host that answers from a script of commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest

from labkit.base import iproute, procfs
from labkit.base.host import Result
from labkit.base.labels import lesson_labels

from . import fake_containers

Answer = str | tuple[int, str, str] | Callable[[tuple[str, ...]], Any]


class FakeHost:
    """Answers `run` from {argv prefix: answer}; remembers every command it was given."""

    mode = "local"

    def __init__(self, answers: dict[tuple[str, ...], Answer] | None = None,
                 files: dict[str, str] | None = None) -> None:
        self.answers = answers or {}
        self.files = files or {}
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, check: bool = True, **_: Any) -> Result:
        argv = tuple(str(a) for a in argv)
        self.calls.append(argv)
        best = max((k for k in self.answers if argv[: len(k)] == k), key=len, default=None)
        answer: Any = self.answers.get(best, "") if best is not None else ""
        if callable(answer):
            answer = answer(argv)
        code, out, err = (0, answer, "") if isinstance(answer, str) else answer
        if check and code != 0:
            from labkit.base.errors import CommandFailed

            raise CommandFailed(f"`{' '.join(argv)}` failed: {err}")
        return Result(argv, code, out, err)

    def json(self, argv: Sequence[str]) -> Any:
        out = self.run(argv).stdout.strip()
        return json.loads(out) if out else []

    def read_text(self, path: str) -> str:
        if path not in self.files:
            raise OSError(path)
        return self.files[path]

    def has_tool(self, name: str) -> bool:
        return True


def use_host(monkeypatch: pytest.MonkeyPatch, host: FakeHost, *modules: ModuleType) -> FakeHost:
    """Answer every host command of these modules, and of the base readers they use (/proc,
    `ip -j`), from one FakeHost."""
    for module in (*modules, procfs, iproute):
        monkeypatch.setattr(module, "host", lambda: host)
    return host


class FakeContainer(fake_containers.FakeContainer):
    """A lesson's container (its course labels set), running as PID 4242 unless told."""

    def __init__(self, name: str, pid: int = 4242, running: bool = True,
                 networks: dict[str, Any] | None = None, exit_code: int = 0,
                 lesson: bool = True) -> None:
        super().__init__(name, pid=pid, running=running, networks=networks,
                         exit_code=exit_code,
                         labels=dict(lesson_labels("99", "s000000")) if lesson else {})


def readlink_answer(table: dict[int, dict[str, int]]) -> Callable[[tuple[str, ...]], Any]:
    """A `readlink /proc/PID/ns/T ...` answer from {pid: {type: inode}}."""

    def answer(argv: tuple[str, ...]) -> tuple[int, str, str]:
        lines, err = [], ""
        for path in argv[1:]:
            _, _, pid, _, kind = path.split("/")
            inode = table.get(int(pid), {}).get(kind)
            if inode is None:
                err = f"readlink: {path}: Permission denied"
            else:
                lines.append(f"{kind}:[{inode}]")
        return (1 if err else 0), "\n".join(lines) + "\n", err

    return answer
