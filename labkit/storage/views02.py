"""Chapter 02's sentences: what a cell shows after the command it ran.

Taught in: 02-overlayfs-and-image-storage. Each view reads this machine (the kernel's overlay
module, the engine's facts) and says what it means for the lesson; the lessons themselves live
in `overlay`, `graphdriver`, `store` and their neighbours.
"""

from __future__ import annotations

from labkit.storage.overlay import METACOPY_PARAM, engine_metacopy, metacopy_default

# -- 02 section 2.4: metacopy --------------------------------------------------------------------


def metacopy_note(param: str | None = None, engine: str | None = None) -> str:
    """Three lines: whether a metadata change copies a whole file up here, read off this machine.

    Taught in: 02-overlayfs-and-image-storage (section 2.4, after `cat` of the module parameter).

    Args:
        param: the module parameter (read from /sys when not given).
        engine: `docker info`'s "Using metacopy" (read from the engine facts when not given).
    """
    param = metacopy_default() if param is None else param
    engine = engine_metacopy() if engine is None else engine
    on = param.upper().startswith("Y")
    kernel = (f"{METACOPY_PARAM} = {param}: overlay mounts that do not say otherwise have "
              f"metacopy {'on' if on else 'off'}." if param else
              "This kernel's overlay has no metacopy feature.")
    docker = ("Docker's mounts say nothing about it; "
              + (f'`docker info` reports "Using metacopy: {engine}".' if engine else
                 "this engine's `docker info` does not report it."))
    effect = ("So here a chmod, chown or touch copies only the inode up (a metadata-only copy "
              "marked trusted.overlay.metacopy);\nthe data follows at the first open for writing."
              if on else
              "So here a chmod, chown or touch copies the whole file up, as opening it for "
              "writing does.")
    return f"{kernel}\n{docker}\n{effect}"
