"""A build's log, read into the steps a learner compares: what ran, what was CACHED, what was sent.

Taught in: 01-building-images (BuildKit's `--progress=plain` output and the classic builder's
`Step N/M` log). The raw logs carry timings (`DONE 0.1s`), vertex numbers (`#7`) and IDs that
change from run to run; the digest keeps the steps, their outcome and the context size, rounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

VERTEX = re.compile(r"^#(\d+) (.*)$")
DONE = re.compile(r"^DONE\b")
TRANSFER = re.compile(r"^transferring (context|dockerfile): ([0-9.]+)\s*([kMG]?B)\b")
STAGE_STEP = re.compile(r"^\[(?:([\w.-]+) )?(\d+)/(\d+)\] ")
CLASSIC_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
SENDING = re.compile(r"^Sending build context to Docker daemon\s+([0-9.]+)\s*([kMG]?B)\b")
# BuildKit names the context's snapshot in its errors ("checksum of ref 7f0c…::k3j…: ").
ERROR_REF = re.compile(r"\s*of ref [\w-]+::[\w-]+")
UNITS = {"B": 1, "kB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000}
# BuildKit's own steps before the Dockerfile's: shown in this order (they run concurrently).
INTERNAL_ORDER = ("load build definition", "load metadata", "load .dockerignore",
                  "load build context")


def size_bytes(number: str, unit: str) -> int:
    """'2.63', 'kB' -> 2630: a size as BuildKit and the docker CLI print it (decimal units)."""
    return round(float(number) * UNITS[unit])


def rounded_size(n: int) -> str:
    """A size rounded so that it reads the same from run to run: 'under 10 kB', then whole kB
    or MB ('41 MB').

    BuildKit's "transferring context" for the same few files varies between runs from about
    200 bytes to a few kB (it counts what it had to send, and it skips what it already holds),
    so small sizes are a bracket.
    """
    if n < 10_000:
        return "under 10 kB"
    if n < 1_000_000:
        return f"{round(n / 1e3)} kB"
    if n < 1_000_000_000:
        return f"{round(n / 1e6)} MB"
    return f"{n / 1e9:.1f} GB"


@dataclass(frozen=True)
class Step:
    """One step of a build, as its log reports it.

    Attributes:
        name: BuildKit's vertex name ("[2/3] COPY dist/ /usr/local/web/") or the classic
            builder's instruction ("Step 2/4 : COPY dist/ /usr/local/web/").
        status: "DONE", "CACHED" or "ERROR".
        sent: bytes this step transferred from the client (BuildKit's "transferring ..."),
            or None.
        container: whether the classic builder ran the step in an intermediate container.
    """

    name: str
    status: str
    sent: int | None = None
    container: bool = False


@dataclass(frozen=True)
class BuildLog:
    """A build log read into steps (01-building-images).

    Attributes:
        builder: "buildkit" or "classic".
        steps: the steps, in a stable order (BuildKit's own steps first, then the Dockerfile's).
        context_bytes: the build context sent (BuildKit: "load build context"; classic:
            "Sending build context"), or None when the log does not say.
        error: the builder's error, one line, without run-specific IDs ("" if none).
        lines: the raw log.
    """

    builder: str
    steps: tuple[Step, ...]
    context_bytes: int | None
    error: str
    lines: tuple[str, ...]

    @property
    def cached(self) -> tuple[str, ...]:
        """The names of the steps the builder took from its cache."""
        return tuple(s.name for s in self.steps if s.status == "CACHED")

    def to_frame(self) -> pd.DataFrame:
        """One row per step: step, status, and what it sent (rounded) or ran in."""
        rows = []
        for s in self.steps:
            note = f"sent {rounded_size(s.sent)}" if s.sent is not None else ""
            if s.container:
                note = "ran in an intermediate container"
            rows.append({"step": s.name, "status": s.status, "note": note})
        return pd.DataFrame(rows, columns=["step", "status", "note"])


def _order(name: str) -> tuple[int, int, str]:
    if name.startswith("[internal] "):
        rest = name.removeprefix("[internal] ")
        rank = next((i for i, p in enumerate(INTERNAL_ORDER) if rest.startswith(p)),
                    len(INTERNAL_ORDER))
        return (0, rank, rest)
    found = STAGE_STEP.match(name)
    if found:
        return (1, int(found.group(2)), found.group(1) or "")
    return (2, 0, name)


def parse_plain(lines: Iterable[str]) -> BuildLog:
    """Read BuildKit's `--progress=plain` output (`#N name`, `#N DONE 0.1s`, `#N CACHED`)."""
    raw = tuple(line.rstrip() for line in lines)
    names: dict[int, str] = {}
    status: dict[int, str] = {}
    sent: dict[int, int] = {}
    error = ""
    for line in raw:
        if line.startswith("ERROR:"):
            error = ERROR_REF.sub("", line.removeprefix("ERROR:").strip())
            continue
        found = VERTEX.match(line)
        if not found:
            continue
        n, text = int(found.group(1)), found.group(2).strip()
        if n == 0:  # "#0 building with "default" instance using docker driver"
            continue
        if n not in names:
            names[n] = text
        elif text == "CACHED":
            status[n] = "CACHED"
        elif text.startswith("ERROR"):
            status[n] = "ERROR"
        elif DONE.match(text):
            status.setdefault(n, "DONE")
        else:
            moved = TRANSFER.match(text)
            if moved and moved.group(1) == "context":
                sent[n] = size_bytes(moved.group(2), moved.group(3))  # the last one counts
    steps = [Step(names[n], status.get(n, "ERROR" if error else "DONE"), sent.get(n))
             for n in names]
    steps.sort(key=lambda s: _order(s.name))
    context = next((s.sent for s in steps if s.name == "[internal] load build context"), None)
    return BuildLog("buildkit", tuple(steps), context, error, raw)


def parse_classic(lines: Iterable[str]) -> BuildLog:
    """Read the classic builder's log (`Step N/M : ...`, ` ---> Using cache`, `Running in`)."""
    raw = tuple(line.rstrip() for line in lines)
    steps: list[Step] = []
    context: int | None = None
    error = ""
    for line in raw:
        text = line.strip()
        sending = SENDING.match(text)
        if sending:
            context = size_bytes(sending.group(1), sending.group(2))
        found = CLASSIC_STEP.match(text)
        if found:
            steps.append(Step(text, "DONE"))
        elif steps and "Using cache" in text:
            steps[-1] = Step(steps[-1].name, "CACHED")
        elif steps and text.startswith("---> Running in"):
            steps[-1] = Step(steps[-1].name, steps[-1].status, container=True)
        elif text.startswith(("ERROR", "error", "COPY failed", "The build failed")):
            error = text
    if error and steps:
        steps[-1] = Step(steps[-1].name, "ERROR", container=steps[-1].container)
    return BuildLog("classic", tuple(steps), context, error, raw)


def side_by_side(logs: dict[str, BuildLog]) -> pd.DataFrame:
    """Several builds of one Dockerfile: one row per step, one status column per build.

    Args:
        logs: {column title: the build's log}, e.g. {"first build": ..., "rebuild": ...}.
    """
    order: list[str] = []
    for log in logs.values():
        order += [s.name for s in log.steps if s.name not in order]
    rows = []
    for name in order:
        row: dict[str, str] = {"step": name}
        for title, log in logs.items():
            step = next((s for s in log.steps if s.name == name), None)
            row[title] = "" if step is None else step.status
        rows.append(row)
    return pd.DataFrame(rows)
