"""`host()` faked: the commands and files on the Docker host, and answers shaped as its tools
print them (`readlink` of /proc/PID/ns, `ip -j`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labkit.base.errors import CommandFailed
from labkit.base.host import Result

from .seam import unfaked

Answer = str | tuple[int, str, str] | Callable[[tuple[str, ...]], Any]


class FakeHost:
    """The Docker host: answers `run` from {argv prefix: answer}, files from {path: text}.

    The longest matching prefix answers; an answer is the output, (code, out, err), or a
    callable given the argv. A command no prefix matches prints nothing and succeeds, unless
    `strict`: then it fails the test (`Unfaked`), as do unknown files and `has_tool`.
    Every command is recorded in `calls`.
    """

    def __init__(self, answers: dict[tuple[str, ...], Answer] | None = None,
                 files: dict[str, str] | None = None, *, mode: str = "local",
                 strict: bool = False) -> None:
        self.answers = answers or {}
        self.files = files or {}
        self.mode = mode
        self.strict = strict
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, check: bool = True, **_: Any) -> Result:
        argv = tuple(str(a) for a in argv)
        self.calls.append(argv)
        best = max((k for k in self.answers if argv[: len(k)] == k), key=len, default=None)
        if best is None and self.strict:
            unfaked("host().run")(*argv)
        answer: Any = self.answers[best] if best is not None else ""
        if callable(answer):
            answer = answer(argv)
        code, out, err = (0, answer, "") if isinstance(answer, str) else answer
        if check and code != 0:
            raise CommandFailed(f"`{' '.join(argv)}` failed: {err}")
        return Result(argv, code, out, err)

    def json(self, argv: Sequence[str]) -> Any:
        out = self.run(argv).stdout.strip()
        return json.loads(out) if out else []

    def read_text(self, path: str) -> str:
        if path not in self.files:
            if self.strict:
                unfaked("host().read_text")(path)
            raise OSError(path)
        return self.files[path]

    def has_tool(self, name: str) -> bool:
        if self.strict:
            unfaked("host().has_tool")(name)
        return True


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


def link_json(ifindex: int, name: str, *, peer: int | None = None, master: str | None = None,
              kind: str = "veth", mac: str = "aa:bb:cc:dd:ee:ff",
              addrs: tuple[tuple[str, int], ...] = (), state: str = "UP") -> dict[str, Any]:
    """One interface as `ip -d -j addr show` prints it (the fields labkit reads)."""
    item: dict[str, Any] = {"ifindex": ifindex, "ifname": name, "operstate": state,
                            "address": mac, "linkinfo": {"info_kind": kind} if kind else {},
                            "addr_info": [{"family": "inet", "local": a, "prefixlen": p}
                                          for a, p in addrs]
                            + [{"family": "inet6", "local": "fe80::1", "prefixlen": 64}]}
    if peer is not None:
        item["link_index"] = peer
    if master:
        item["master"] = master
    return item


def addr_json(interfaces: Mapping[str, Sequence[str]]) -> str:
    """`ip -d -j addr show` printing {interface: ["addr/prefix", ...]} (IPv4 and IPv6)."""
    return json.dumps([
        {"ifindex": n, "ifname": name, "addr_info": [
            {"family": "inet" if "." in a else "inet6", "local": a.split("/")[0],
             "prefixlen": int(a.split("/")[1])} for a in addrs]}
        for n, (name, addrs) in enumerate(interfaces.items(), start=1)])
