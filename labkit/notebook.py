"""The first cell of every chapter, and small helpers for showing commands in notebooks.

Taught in: 00-preflight (`labkit.start`), used by every chapter.
"""

from __future__ import annotations

import atexit
import shlex
from collections.abc import Sequence

from . import cleanup, images, needs
from .engine import client
from .errors import friendly, install_notebook_handler
from .host import host
from .lab import Lab


def configure_display() -> None:
    """Stable, readable pandas and matplotlib settings for stored notebook outputs."""
    import matplotlib
    import pandas as pd

    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_rows", 80)
    matplotlib.rcParams.update({"figure.dpi": 90, "savefig.dpi": 90, "font.size": 9})


def install_needs() -> None:
    """In IPython, skip `# needs: NAME` cells the engine cannot show (see labkit.needs)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and needs.transform not in shell.input_transformers_post:
        shell.input_transformers_post.append(needs.transform)


def start(chapter: str, *, images_needed: Sequence[str] = ()) -> Lab:
    """Begin a chapter: check the engine, remove leftovers of its crashed runs, prepare images.

    Args:
        chapter: "00" to "04".
        images_needed: course images the chapter uses (built here if missing).

    Returns:
        The chapter's Lab; end the notebook with `lab.cleanup()`.

    Raises:
        EngineUnavailable: no engine answers (shown with what to do).
    """
    install_notebook_handler()
    install_needs()
    configure_display()
    with friendly():
        client()
    leftovers = cleanup.clean(chapter, only_stale=True)
    if leftovers:
        print(f"Cleaned up after an earlier run of chapter {chapter}: "
              f"{cleanup.summarize(leftovers)}.")
    if images_needed:
        images.ensure(images_needed, progress=lambda m: print("  preparing images:", m))
    lab = Lab(chapter)
    atexit.register(lab.cleanup)
    names = ", ".join(images.recipe_for(n).name for n in images_needed)
    print(f"Chapter {chapter} is ready: the Docker Engine answers"
          + (f"; images ready: {names}." if names else "."))
    return lab


def show_command(argv: Sequence[str]) -> None:
    """Print a command the way you would type it in a shell."""
    print("$ " + shlex.join(str(a) for a in argv))


def sh(argv: Sequence[str], *, check: bool = True) -> None:
    """Run a host command, showing it and what it printed, the way a terminal would.

    It returns nothing, so a cell ending with it shows only the terminal text; use
    `labkit.host.host().run(argv)` when the output is needed as a value.

    Args:
        argv: the command as an argument list.
        check: raise when it fails (otherwise its error text is shown).
    """
    show_command(argv)
    result = host().run(argv, check=check)
    text = (result.stdout + result.stderr).rstrip()
    if text:
        print(text)
