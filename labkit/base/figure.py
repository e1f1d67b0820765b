"""One way to show a matplotlib figure: sharp (drawn at 2x), with a text that says what it shows.

Taught in: every chapter that draws (02 and 02b `stackplot`, 01 `plot()` of a build comparison
and of `docker history`, 03 `topology.draw`, 04 `views.heatmap`).

A drawing function makes its figure with `subplots()` (an `AltFigure`, so tests can still read
its axes) and returns `shown(fig, alt)`. A notebook cell that ends with it displays a PNG drawn at
twice the figure's dpi, shown at the figure's own size, with the output metadata
`{"image/png": {"alt": ALT, "width": W, "height": H}}` and a `text/plain` of ALT instead of
`<Figure size ...>`; the site builder reads that alt text. With `LABKIT_LANG=zh` the figure is
drawn with a CJK font (Debian's `fonts-noto-cjk`); English figures keep matplotlib's defaults.
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Iterator
from typing import Any

from matplotlib.figure import Figure

from labkit.base.i18n import language

SCALE = 2  # device pixels per displayed pixel
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC"]


@contextlib.contextmanager
def font_context(cjk: bool) -> Iterator[None]:
    """matplotlib settings for drawing: a CJK sans-serif font first when `cjk`, else as is."""
    import matplotlib

    if not cjk:
        yield
        return
    sans = [*CJK_FONTS, *matplotlib.rcParams["font.sans-serif"]]
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": sans,
                                "axes.unicode_minus": False}):
        yield


class AltFigure(Figure):
    """A matplotlib Figure that displays as a 2x PNG with alt text (see the module docstring)."""

    alt: str = ""
    cjk: bool = False

    def draw(self, renderer: Any) -> None:  # noqa: D102 - the Figure's own, in the right font
        with font_context(self.cjk):
            super().draw(renderer)

    def tight_layout(self, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - measured in its font
        with font_context(self.cjk):
            super().tight_layout(*args, **kwargs)

    def png(self) -> tuple[bytes, int, int]:
        """The PNG at SCALE times the figure's dpi, and its displayed width and height."""
        buffer = io.BytesIO()
        with font_context(self.cjk):
            self.savefig(buffer, format="png", dpi=self.dpi * SCALE, bbox_inches="tight")
        data = buffer.getvalue()
        width = int.from_bytes(data[16:20], "big")  # the PNG's IHDR chunk
        height = int.from_bytes(data[20:24], "big")
        return data, round(width / SCALE), round(height / SCALE)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None
                          ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        data, width, height = self.png()
        alt = self.alt or repr(self)
        return ({"image/png": base64.b64encode(data).decode("ascii"), "text/plain": alt},
                {"image/png": {"alt": alt, "width": width, "height": height}})


def subplots(*args: Any, **kwargs: Any) -> tuple[AltFigure, Any]:
    """`plt.subplots` for an AltFigure, closed at once (a cell shows it once, as its value)."""
    import matplotlib.pyplot as plt

    cjk = language() == "zh"
    with font_context(cjk):
        fig, axes = plt.subplots(*args, FigureClass=AltFigure, **kwargs)
    plt.close(fig)
    fig.cjk = cjk
    return fig, axes


def shown(fig: Figure, alt: str) -> AltFigure:
    """FIG ready to be a cell's value: displayed at 2x, with ALT (what it shows, live values).

    A figure not made by `subplots()` becomes an AltFigure (same object, same axes).
    """
    if not isinstance(fig, AltFigure):
        fig.__class__ = AltFigure
        fig.cjk = language() == "zh"
    fig.alt = " ".join(alt.split())
    return fig
