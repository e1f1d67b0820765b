"""`docker build` through the docker CLI, the line shown being the line that runs: BuildKit
(`docker buildx build --progress=plain`) or the classic builder (`docker build`, with
DOCKER_BUILDKIT=0 where that is BuildKit). `Lab.build` is this.

Taught in: 01-building-images (every build), 02 and 02b (the images whose layers they read).

The line a cell shows is the command that runs, three options of the course's own included,
after the lesson's: `--iidfile FILE` (the CLI writes the new image's ID there: labkit's ledger
needs it for cleanup), `--network none` (no RUN step reaches any network) and, for BuildKit,
`--builder CONTEXT` (the engine's own BuildKit, the builder named after the docker context,
"default" or Docker Desktop's "desktop-linux": it sees the course images, where a builder in a
container of its own would try to pull them from Docker Hub).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.base.engine import system
from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts, facts
from labkit.base.i18n import _
from labkit.base.show import show_command
from labkit.images.build import drop_intermediates, untagged_image_ids
from labkit.images.buildlog import BuildLog, parse_classic, parse_plain, rounded_size
from labkit.lab import commands

if TYPE_CHECKING:
    from labkit.lab.session import Lab

CLASSIC_ENV = {"DOCKER_BUILDKIT": "0"}
# containerd's unpacker can lose a race with its own garbage collector on the containerd image
# store (moby/buildkit#6521, containerd#10835): the build is fine, and a second run succeeds.
LOST_SNAPSHOT = re.compile(r"failed to prepare extraction snapshot .*parent snapshot .* "
                           r"does not exist")


def builder_for(wanted: str, found: EngineFacts | None = None) -> str:
    """The builder a cell that WANTS "buildkit" or "classic" gets on this engine.

    The classic builder is on every engine the course supports. Every engine has BuildKit
    built in (Engine 18.09 and later), but labkit runs it only as `docker build` does by
    default from Engine 23 on: through the CLI's buildx plugin (facts().builder says whether
    `docker build` is BuildKit here).
    """
    f = found or facts()
    if wanted == "buildkit" and f.builder != "buildkit":
        return "classic"
    return wanted


@dataclass(frozen=True)
class CliBuild:
    """One `docker build` run through the docker CLI.

    Attributes:
        builder: "buildkit" or "classic", the builder that ran.
        tag: the image's name.
        image_id: the new image's ID ("" when the build failed).
        log: the log read into steps (`.to_frame()` for a table).
        seconds: wall time of the whole build, context upload included.
    """

    builder: str
    tag: str
    image_id: str
    log: BuildLog
    seconds: float

    @property
    def context_bytes(self) -> int | None:
        """The bytes of build context the log reports sent (None when it does not say)."""
        return self.log.context_bytes

    def summary(self) -> str:
        """One line: builder, steps, how many came from the cache, context sent (rounded)."""
        steps = [s for s in self.log.steps if not s.name.startswith(("[internal]", "exporting"))]
        sent = ("" if self.context_bytes is None else
                f"; build context sent: {rounded_size(self.context_bytes)}")
        return (f"{self.tag}: {len(steps)} steps by the {self.builder} builder, "
                f"{len(self.log.cached)} from its cache{sent}")

    def show_log(self) -> None:
        """Print the classic builder's log as it is (its IDs are the lesson)."""
        print("\n".join(self.log.lines))


def engine_builder() -> str:
    """The name of the engine's own BuildKit builder: the current docker context's name."""
    shown = system().run(["docker", "context", "show"])
    name = shown.stdout.strip() if shown.returncode == 0 else ""
    return name or "default"


def course_options(iidfile: Path, builder: str) -> list[str]:
    """The options the course adds to every build line (see the module docstring)."""
    extra = ["--iidfile", str(iidfile), "--network", "none"]
    if builder == "buildkit":
        extra += ["--builder", engine_builder()]
    return extra


def build(lab: Lab, context: str | Path, tag: str, *, builder: str = "buildkit",
          dockerfile: str | None = None, platform: str | None = None,
          buildargs: dict[str, str] | None = None,
          no_cache: bool = False, show: bool = True) -> CliBuild:
    """Run `docker build` with the docker CLI: BuildKit (`docker buildx build --progress=plain`)
    or the classic builder (`DOCKER_BUILDKIT=0 docker build`), recorded for cleanup.

    Args:
        lab: the lesson (names and the ledger).
        context: the build context folder.
        tag: the image's name (made unique if a learner's image has it).
        builder: "buildkit" (falls back to classic where BuildKit is not on the engine) or
            "classic".
        dockerfile: `-f`.
        platform: `--platform`.
        buildargs: `--build-arg NAME=VALUE` for each.
        no_cache: `--no-cache`: run every step even if the builder's cache has it.
        show: print the command line (exactly as it runs).

    Raises:
        LabkitError: the build failed (the message is the builder's error, one line).
    """
    ran = builder_for(builder)
    final = lab.name(tag, "image")
    env = CLASSIC_ENV if ran == "classic" and facts().builder == "buildkit" else {}
    iidfile = lab.workdir("image-id") / "iid"
    argv = commands.build_argv(context, final, dockerfile=dockerfile, platform=platform,
                               buildargs=buildargs, builder=ran, no_cache=no_cache,
                               extra=course_options(iidfile, ran))
    if show:
        show_command(argv, env)
    # The ledger holds the name before the build starts and the ID once it exists.
    lab.record("image", id=None, tags=[final], session=lab.session)
    before: set[str] = set()
    if ran == "classic":
        before = untagged_image_ids()
    for attempt in (1, 2):
        image_id, log, seconds, message = _run_build(argv, iidfile, ran, env)
        if image_id or attempt == 2 or not LOST_SNAPSHOT.search(message):
            break
        print(_("containerd removed a snapshot while the image was unpacked into it, a known "
                "race on the containerd image store (moby/buildkit#6521); building once more"))
    if not image_id:
        raise LabkitError(_("The build failed: {message}").format(message=message),
                          _("fix the Dockerfile or the context, then build again"))
    lab.forget("image", id=None, tags=[final])
    lab.record("image", id=image_id, tags=[final], session=lab.session)
    if ran == "classic":
        drop_intermediates(image_id, before)
    return CliBuild(ran, final, image_id, log, seconds)


def _run_build(argv: list[str], iidfile: Path, ran: str, env: dict[str, str]
               ) -> tuple[str, BuildLog, float, str]:
    """One run of the build: the image ID ("" when it failed), its log, seconds, the error."""
    iidfile.unlink(missing_ok=True)
    started = time.monotonic()
    done = system().run(argv, env={**os.environ, **env})
    seconds = time.monotonic() - started
    image_id = iidfile.read_text().strip() if iidfile.exists() else ""
    if ran == "buildkit":
        log = parse_plain(done.stderr.splitlines())
    else:
        # The CLI's notice that the legacy builder is deprecated comes first, as in a shell.
        text = done.stderr + "\n" + done.stdout
        log = parse_classic(line for line in text.splitlines() if line.strip())
    if done.returncode == 0 and image_id:
        return image_id, log, seconds, ""
    return "", log, seconds, log.error or _last_line(done.stderr or done.stdout)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "the docker CLI gave no reason"
