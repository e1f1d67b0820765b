"""The build context: what `docker build` sends to the daemon, and what that costs.

Taught in: 01-building-images (a bulky folder in the context, `.dockerignore`, `-f`).
"""

from __future__ import annotations

import io
import random
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.images.build import context_tar
from labkit.lab.session import Lab

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BULKY_DIR = "node_modules"
# Rounds added when the bulky build is not yet the slowest at its fastest (a busy machine:
# 40 MB over the engine's socket costs a fraction of a second, which a busy moment can hide).
EXTRA_ROUNDS = 6
GENERATED = ".dockerfile."  # how the client names a Dockerfile from outside the context


@dataclass(frozen=True)
class ContextSize:
    """A build context as the SDK sends it (the tar the daemon receives).

    Attributes:
        files: the number of regular files in the tar.
        bytes: the size of the tar.
        members: the regular files' paths, sorted.
    """

    files: int
    bytes: int
    members: tuple[str, ...]


def measure(context: str | Path, dockerfile: str | None = None) -> ContextSize:
    """Build the exact context tar the SDK would send (honouring .dockerignore) and count it."""
    data, _ignored = context_tar(context, dockerfile)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = sorted(m.name for m in tar.getmembers() if m.isfile())
    return ContextSize(len(names), len(data), tuple(names))


def make_bulky(folder: str | Path, megabytes: int = 40, packages: int = 200,
               seed: int = 1) -> Path:
    """Write a bulky folder the image never needs: `node_modules/` with MEGABYTES of data.

    The content is pseudo-random (it does not compress) but the same on every run, so the
    bytes sent are the same every time.

    Returns:
        The new folder.
    """
    root = Path(folder) / BULKY_DIR
    rng = random.Random(seed)
    size = megabytes * 1_000_000 // packages
    for i in range(packages):
        pkg = root / f"pkg-{i:03d}"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "package.json").write_text(f'{{"name": "pkg-{i:03d}", "version": "1.0.0"}}\n')
        (pkg / "index.js").write_bytes(rng.randbytes(size))
    return root


# The cases' own Dockerfile: one COPY step, which the classic builder takes from its cache on
# every build after the first (a step that runs again costs more than the whole upload), so
# the builds' times are mostly the context travelling.
CASE_DOCKERFILE = "FROM labkit/nginx:1.22.1\nCOPY dist/ /usr/local/web/\n"

CASES = {
    "dist only": "the project as it is",
    "with node_modules/": f"plus a {BULKY_DIR}/ folder the Dockerfile never copies",
    "node_modules/ in .dockerignore": "the same folder, excluded by one .dockerignore line",
}


def prepare_cases(lab: Lab, project: str | Path, megabytes: int = 40) -> dict[str, Path]:
    """Three copies of a project folder: as it is, with a bulky folder, and with it ignored.

    Each copy's Dockerfile is CASE_DOCKERFILE (one COPY step, cached after its first build).

    Returns:
        {case name: build context folder}, in the order of CASES.
    """
    folders: dict[str, Path] = {}
    for i, case in enumerate(CASES):
        folder = lab.workdir(f"context-{i}")
        shutil.copytree(project, folder, dirs_exist_ok=True)
        (folder / "Dockerfile").write_text(CASE_DOCKERFILE)
        if i > 0:
            make_bulky(folder, megabytes)
        if i == 2:
            (folder / ".dockerignore").write_text(f"{BULKY_DIR}/\n")
        folders[case] = folder
    return folders


@dataclass(frozen=True)
class BuildRun:
    """The same build repeated on one context.

    Attributes:
        case: the case's name.
        context_bytes: the bytes sent to the daemon (the same every time).
        seconds: the wall time of each build, upload included.
    """

    case: str
    context_bytes: int
    seconds: tuple[float, ...]

    @property
    def fastest(self) -> float:
        """The fastest build in seconds: the cost of the build itself, with the least of
        whatever else the machine was doing added to it (a busy machine only adds time)."""
        return min(self.seconds)


@dataclass(frozen=True)
class Comparison:
    """Build runs of several contexts, for a table and a chart."""

    runs: tuple[BuildRun, ...]

    def run(self, case: str) -> BuildRun:
        """The run of one case."""
        return next(r for r in self.runs if r.case == case)

    def to_frame(self) -> pd.DataFrame:
        """Case, bytes and MB sent, and the fastest build's time (rounded: it varies)."""
        return pd.DataFrame([{
            "case": r.case, "bytes sent": r.context_bytes,
            "MB sent": round(r.context_bytes / 1e6, 2),
            "fastest build, s": round(r.fastest, 2), "builds": len(r.seconds),
        } for r in self.runs])

    def slowest_is_bulky(self) -> bool:
        """Whether even its fastest build, the bulky case took longer than the other two
        (False while a case has no build yet)."""
        if len(self.runs) < len(CASES) or not all(r.seconds for r in self.runs):
            return False
        small, bulky, ignored = (self.run(case) for case in CASES)
        return bulky.fastest > small.fastest and bulky.fastest > ignored.fastest

    def assert_holds(self) -> None:
        """Make sure the runs show what the lesson says (the bulky folder travelled, the
        ignored one did not, and the upload cost time).

        Raises:
            LabkitError: a run does not agree, with what to look at.
        """
        small, bulky, ignored = (self.run(case) for case in CASES)
        if bulky.context_bytes < small.context_bytes + 1_000_000:
            raise LabkitError(
                _("The bulky context sent only {context_bytes:,} bytes.").format(
                    context_bytes=bulky.context_bytes
                ),
                _("is {bulky_dir}/ in that folder, and not in its .dockerignore?").format(
                    bulky_dir=BULKY_DIR
                ),
            )
        if abs(ignored.context_bytes - small.context_bytes) > 10_240:  # one tar record
            raise LabkitError(
                _(
                    "With {bulky_dir}/ ignored, {context_bytes:,} bytes were sent, "
                    "not about {context_bytes2:,}."
                ).format(
                    bulky_dir=BULKY_DIR,
                    context_bytes=ignored.context_bytes,
                    context_bytes2=small.context_bytes,
                ),
                _("the .dockerignore line should be `{bulky_dir}/`").format(bulky_dir=BULKY_DIR),
            )
        if not self.slowest_is_bulky():
            raise LabkitError(_("Even its fastest run, the bulky build was not the slowest one."),
                              _("the machine was busy through every round: run the cell again"))

    def summary(self) -> str:
        """Sentences about the bytes: what the bulky folder added, what .dockerignore removed."""
        small, bulky, ignored = (self.run(case).context_bytes for case in CASES)
        same = ("exactly as much as" if ignored == small else
                f"{ignored - small:+,} bytes compared with")
        return (f"{BULKY_DIR}/ added {(bulky - small) / 1e6:.1f} MB to every upload.\n"
                f"With it in .dockerignore the daemon received {ignored:,} bytes: "
                f"{same} the project alone ({small:,} bytes).")

    def plot(self) -> Figure:
        """Two bar charts side by side: MB sent and the fastest build's time per case."""
        from labkit.base.figure import shown, subplots

        fig, (left, right) = subplots(1, 2, figsize=(9, 2.8))  # closed: shown once, as the value
        names = [r.case.replace(" in ", "\nin ") for r in self.runs]
        mb = [r.context_bytes / 1e6 for r in self.runs]
        secs = [r.fastest for r in self.runs]
        colors = ["tab:green", "tab:red", "tab:blue"][: len(names)]
        for ax, values, title, fmt in ((left, mb, _("MB sent to the daemon"), "{:.2f}"),
                                       (right, secs, _("fastest build, s"), "{:.2f}")):
            bars = ax.barh(names, values, color=colors)
            ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3)
            ax.set_title(title)
            ax.invert_yaxis()
            ax.set_xlim(0, max(values) * 1.3 or 1)
        right.set_yticks([])
        fig.tight_layout()
        # The times change from run to run, so the text (which nbval compares) names the sizes.
        cases = "; ".join(_("{case}: {mb:.2f} MB sent").format(case=r.case, mb=m)
                          for r, m in zip(self.runs, mb, strict=True))
        return shown(fig, _("Per case, the build context sent to the daemon (left) and the "
                            "fastest build's time (right): {cases}.").format(cases=cases))


def compare_builds(lab: Lab, cases: dict[str, Path], tag: str = "front-app:ctx",
                   repeats: int = 2) -> Comparison:
    """Build each case's context REPEATS times (same Dockerfile) and time every build.

    The builds go round by round (each case once per round), so a moment when the machine is
    busy slows one build of every case rather than every build of one case. While the bulky
    build is not the slowest even at its fastest, up to EXTRA_ROUNDS more rounds run (the
    table's "builds" column says how many there were).

    Returns:
        The runs, in the order of `cases`.
    """
    seconds: dict[str, list[float]] = {case: [] for case in cases}
    sent: dict[str, int] = {}

    def comparison() -> Comparison:
        return Comparison(tuple(BuildRun(case, sent[case], tuple(seconds[case]))
                                for case in cases))

    rounds = 0
    while rounds < repeats or (rounds < repeats + EXTRA_ROUNDS
                               and not comparison().slowest_is_bulky()):
        for i, (case, folder) in enumerate(cases.items()):
            # The table is the lesson here; nine identical `docker build` lines would bury it.
            result = lab.build(folder, f"{tag}{i}", show=False)
            sent.setdefault(case, result.context_bytes or 0)  # None: the log did not say
            seconds[case].append(result.seconds)
        rounds += 1
    return comparison()

