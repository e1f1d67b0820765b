"""`docker build` as the learner's shell runs it: BuildKit where the engine has it, the classic
builder as the contrast, both through the docker CLI (docker-py's build API is the classic one).

Taught in: 01-building-images (the first build, its cache, `.dockerignore` and
`<Dockerfile>.dockerignore`, `COPY ../x`, the build context of each builder).

The line a cell shows is the command a learner types. Three options are left out of it because
they are the course's bookkeeping and safety net, not the lesson: `--iidfile` (how labkit learns
the new image's ID, for the ledger), `--network none` (no step reaches any network) and, for
BuildKit, `--builder CONTEXT` (the engine's own BuildKit, the builder named after the docker
context, "default" or Docker Desktop's "desktop-linux": it sees the course images, where a builder
in a container of its own would try to pull them from Docker Hub).

BuildKit keeps a build cache of its own in the engine (`docker buildx du`). Cleanup leaves it:
it is shared by every build on the engine, the learner's too, and `docker buildx prune` cannot
tell the lesson's records from theirs; BuildKit's garbage collector keeps it bounded.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from labkit.base.engine import client, system
from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts, facts
from labkit.base.show import show_command
from labkit.building.buildlog import BuildLog, parse_classic, parse_plain, rounded_size
from labkit.images.build import drop_intermediates
from labkit.lab import commands
from labkit.lab.session import Lab

CLASSIC_ENV = {"DOCKER_BUILDKIT": "0"}
# containerd's unpacker can lose a race with its own garbage collector on the containerd image
# store (moby/buildkit#6521, containerd#10835): the build is fine, and a second run succeeds.
LOST_SNAPSHOT = re.compile(r"failed to prepare extraction snapshot .*parent snapshot .* "
                           r"does not exist")


def builder_for(wanted: str, found: EngineFacts | None = None) -> str:
    """The builder a cell that WANTS "buildkit" or "classic" gets on this engine.

    The classic builder is on every engine the course supports; BuildKit needs the daemon's
    BuildKit and the CLI's buildx plugin (facts().builder says whether both are here).
    """
    f = found or facts()
    if wanted == "buildkit" and f.builder != "buildkit":
        return "classic"
    return wanted


def why_no_buildkit(found: EngineFacts) -> str:
    """Why `docker build` is the classic builder on this engine (one clause)."""
    if found.major < 23 and not found.buildx:
        return (f"Docker {found.server_version} is older than Engine 23, where BuildKit became "
                "the default, and this machine's docker CLI has no buildx plugin")
    if not found.buildx:
        return "this machine's docker CLI has no buildx plugin (Debian: docker-buildx)"
    if os.environ.get("DOCKER_BUILDKIT", "").strip().lower() in {"0", "false", "no", "off"}:
        return "DOCKER_BUILDKIT=0 is set in this environment"
    return "the engine does not offer BuildKit (its /_ping answer has no Builder-Version 2)"


def builder_note(wanted: str, found: EngineFacts | None = None) -> str:
    """One sentence for the top of a build cell: which builder runs it here, and why.

    Taught in: 01-building-images.
    """
    f = found or facts()
    got = builder_for(wanted, f)
    if wanted == "buildkit" and got == "buildkit":
        return (f"Builder: BuildKit (Docker {f.server_version}: `docker build` is "
                "`docker buildx build` here).")
    if wanted == "buildkit":
        return (f"Builder: classic. BuildKit is not on this engine ({why_no_buildkit(f)}), "
                "so this cell shows the classic build, the one `docker build` runs here.")
    if f.builder == "buildkit":
        return (f"Builder: classic, asked for with DOCKER_BUILDKIT=0 (Docker "
                f"{f.server_version} builds with BuildKit unless told otherwise).")
    return f"Builder: classic, the only one `docker build` has here ({why_no_buildkit(f)})."


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


def _run_argv(shown: list[str], iidfile: Path, builder: str) -> list[str]:
    argv = [a for a in shown if a not in {f"{k}={v}" for k, v in CLASSIC_ENV.items()}]
    extra = ["--iidfile", str(iidfile), "--network", "none"]
    if builder == "buildkit":
        extra += ["--builder", engine_builder()]
    return [*argv[:-1], *extra, argv[-1]]


def build(lab: Lab, context: str | Path, tag: str, *, builder: str = "buildkit",
          dockerfile: str | None = None, platform: str | None = None,
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
        no_cache: `--no-cache`: run every step even if the builder's cache has it.
        show: print the command line.

    Raises:
        LabkitError: the build failed (the message is the builder's error, one line).
    """
    ran = builder_for(builder)
    final = lab.name(tag, "image")
    env = CLASSIC_ENV if ran == "classic" and facts().builder == "buildkit" else {}
    shown = commands.build_argv(context, final, dockerfile=dockerfile, platform=platform,
                                builder=ran, no_cache=no_cache, env=env)
    if show:
        show_command(shown)
    # The ledger holds the name before the build starts and the ID once it exists.
    lab.record("image", id=None, tags=[final], session=lab.session)
    before: set[str] = set()
    if ran == "classic":
        before = {i.id for i in client().images.list(all=True)}
    for attempt in (1, 2):
        image_id, log, seconds, message = _run_build(shown, ran, env)
        if image_id or attempt == 2 or not LOST_SNAPSHOT.search(message):
            break
        print("containerd removed a snapshot while the image was unpacked into it, a known race "
              "on the containerd image store (moby/buildkit#6521); building once more")
    if not image_id:
        raise LabkitError(f"The build failed: {message}",
                          "fix the Dockerfile or the context, then build again")
    lab.forget("image", id=None, tags=[final])
    lab.record("image", id=image_id, tags=[final], session=lab.session)
    if ran == "classic":
        drop_intermediates(image_id, before)
    return CliBuild(ran, final, image_id, log, seconds)


def _run_build(shown: list[str], ran: str, env: dict[str, str]) -> tuple[str, BuildLog, float,
                                                                         str]:
    """One run of the build: the image ID ("" when it failed), its log, seconds, the error."""
    with tempfile.TemporaryDirectory(prefix="labkit-build-") as tmp:
        iidfile = Path(tmp, "iid")
        started = time.monotonic()
        done = system().run(_run_argv(shown, iidfile, ran), env={**os.environ, **env})
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
