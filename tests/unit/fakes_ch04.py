"""Fakes shared by chapter 04's unit tests: a host that answers from a script of commands."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from labkit.base.host import Result
from labkit.base.labels import lesson_labels

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


class FakeContainer:
    """Just enough of docker's Container: name, id, attrs, reload()."""

    def __init__(self, name: str, pid: int = 4242, running: bool = True,
                 networks: dict[str, Any] | None = None, exit_code: int = 0,
                 lesson: bool = True) -> None:
        self.name = name
        self.id = f"id-{name}"
        self.attrs: dict[str, Any] = {
            "State": {"Pid": pid if running else 0, "Running": running,
                      "Status": "running" if running else "exited", "ExitCode": exit_code},
            "NetworkSettings": {"Networks": networks or {}},
            "Config": {"Labels": dict(lesson_labels("99", "s000000")) if lesson else {}},
            "Created": "2024-01-01T00:00:00Z",
        }

    def reload(self) -> None:
        pass


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
