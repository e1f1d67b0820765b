"""The first cell of every chapter: `labkit.start`.

Taught in: 00-preflight (`labkit.start`), used by every chapter.
"""

from __future__ import annotations

import atexit
from collections.abc import Sequence

from labkit.base.engine import client
from labkit.base.errors import friendly, install_notebook_handler
from labkit.base.facts import facts
from labkit.base.i18n import _
from labkit.images import catalog as images
from labkit.lab import cleanup, engine_notes
from labkit.lab.session import Lab


def configure_display() -> None:
    """Stable, readable pandas and matplotlib settings for stored notebook outputs."""
    import matplotlib
    import pandas as pd

    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_rows", 80)
    matplotlib.rcParams.update({"figure.dpi": 90, "savefig.dpi": 90, "font.size": 9})


def start(chapter: str, *, images_needed: Sequence[str] = ()) -> Lab:
    """Begin a chapter: check the engine, remove leftovers of its crashed runs, prepare images.

    Args:
        chapter: "00" to "04", or "02b".
        images_needed: course images the chapter uses (built here if missing).

    Returns:
        The chapter's Lab; end the notebook with `lab.cleanup()`.

    Raises:
        EngineUnavailable: no engine answers (shown with what to do).
    """
    install_notebook_handler()
    configure_display()
    with friendly():
        client()
        facts()
    leftovers = cleanup.clean(chapter, only_stale=True)
    if leftovers:
        print(_("Cleaned up after an earlier run of chapter {chapter}: {summary}.").format(
            chapter=chapter, summary=cleanup.summarize(leftovers)))
    if images_needed:
        images.ensure(images_needed, progress=lambda m: print(" ", _("preparing images:"), m))
    lab = Lab(chapter)
    atexit.register(lab.cleanup)
    names = ", ".join(images.recipe_for(n).name for n in images_needed)
    print(_("Chapter {chapter} is ready on {engine}").format(chapter=chapter, engine=facts().line)
          + (_("; images ready: {names}.").format(names=names) if names else "."))
    for note in engine_notes.notes(facts()):
        print(note)
    return lab
