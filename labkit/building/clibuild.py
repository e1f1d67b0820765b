"""Which builder a build cell gets on this engine, and the sentence that says why.

Taught in: 01-building-images (the first build, its cache, `.dockerignore` and
`<Dockerfile>.dockerignore`, `COPY ../x`, the build context of each builder). The build itself
is `lab.build` (`labkit.lab.imagebuild`).

BuildKit keeps a build cache of its own in the engine (`docker buildx du`). Cleanup leaves it:
it is shared by every build on the engine, the learner's too, and `docker buildx prune` cannot
tell the lesson's records from theirs; BuildKit's garbage collector keeps it bounded.
"""

from __future__ import annotations

import os

from labkit.base.facts import EngineFacts, facts
from labkit.lab.imagebuild import builder_for


def _classic_by_env() -> bool:
    return os.environ.get("DOCKER_BUILDKIT", "").strip().lower() in {"0", "false", "no", "off"}


def why_no_buildkit(found: EngineFacts) -> str:
    """Why `docker build` is the classic builder on this engine (one clause)."""
    if _classic_by_env():
        return "DOCKER_BUILDKIT=0 is set in this environment"
    if found.major < 23:
        # The engine has BuildKit (18.09 on); CLIs before 23 build with it only when asked.
        return (f"Docker {found.server_version} has BuildKit built in, but before Engine 23 "
                "`docker build` uses it only with DOCKER_BUILDKIT=1")
    if not found.buildx:
        return ("this docker CLI has no buildx plugin, which `docker build` needs for BuildKit "
                "from Engine 23 on; Debian's package is docker-buildx")
    return ("the engine does not name BuildKit as its builder (no Builder-Version 2 in its "
            "/_ping answer)")


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
        return (f"Builder: classic, what `docker build` runs here ({why_no_buildkit(f)}). "
                "labkit builds with BuildKit only where `docker build` does.")
    if f.builder == "buildkit":
        return (f"Builder: classic, asked for with DOCKER_BUILDKIT=0 (Docker "
                f"{f.server_version} builds with BuildKit unless told otherwise).")
    return f"Builder: classic, what `docker build` runs here ({why_no_buildkit(f)})."


