"""Figures in Chinese (LABKIT_LANG=zh): one figure per chapter's drawing function, drawn with
the CJK font, no glyph missing; and every figure displays at 2x with its alt text.

The font is Debian's fonts-noto-cjk, which `./course test` and `./course lab --lang zh`
install (course, `cjk_fonts`); without it the Chinese rendering tests skip, saying so.
"""

from __future__ import annotations

import base64
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
import pytest

from labkit.base import i18n
from labkit.base.figure import CJK_FONTS, AltFigure, shown
from labkit.building import buildctx
from labkit.building import buildhistory as bh
from labkit.namespaces.procns import NsMatrix
from labkit.namespaces.views import heatmap
from labkit.networking import topology
from labkit.storage import stackplot
from labkit.storage.overlay2_layers import LayerDir
from labkit.storage.wire import BlobHash

from .test_buildhistory import BASE, OWN
from .test_stackplot import two_layers
from .test_topology import TOPO

matplotlib.use("Agg")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _font_installed() -> bool:
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties

    # Debian's NotoSansCJK-Regular.ttc may show matplotlib its JP face first: any will do.
    for family in CJK_FONTS:
        try:
            font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return True
    return False


needs_font = pytest.mark.skipif(
    not _font_installed(),
    reason="the CJK font is not installed here (Debian: apt-get install fonts-noto-cjk; "
           "./course test installs it)")


def overlay(tmp_path: Path) -> AltFigure:
    return stackplot.overlay_stack(two_layers(tmp_path))


def layers(tmp_path: Path) -> AltFigure:
    diff = Path("/var/lib/docker/overlay2/x/diff")
    return stackplot.layer_stack([
        LayerDir("layer 1", "a" * 64, "l/A", (), 117_000_000, 6000, diff, "sha256:" + "1" * 64),
        LayerDir("init", "b" * 64 + "-init", "l/B", ("l/A",), 0, 10, diff),
        LayerDir("container", "b" * 64, "l/C", ("l/B", "l/A"), 22, 1, diff)])


def digests(tmp_path: Path) -> AltFigure:
    return stackplot.digest_flow([BlobHash(n, "sha256:" + f"{n}d" * 32, "", 100 * n, n == 1,
                                           "sha256:" + f"{n}e" * 32, "", 300 * n)
                                  for n in (1, 2)])


def build_context(tmp_path: Path) -> AltFigure:
    return buildctx.Comparison((
        buildctx.BuildRun("dist only", 20_480, (0.1, 0.3, 0.2)),
        buildctx.BuildRun("with node_modules/", 41_082_880, (0.7, 0.6, 0.9)))).plot()


def build_history(tmp_path: Path) -> AltFigure:
    return bh.History("front-app:v1", "nginx:1.22.1", tuple(OWN), tuple(BASE), 2, 6,
                      (False, True, True)).plot()


def network(tmp_path: Path) -> AltFigure:
    return topology.draw(TOPO)


def namespaces(tmp_path: Path) -> AltFigure:
    inodes = pd.DataFrame({"mnt": [1, 2, 3], "net": [4, 5, 4], "pid": [6, 7, 7]},
                          index=["host", "c1", "c1's child"])
    return heatmap(NsMatrix(inodes))


# One drawing function per chapter that draws: 01 (two), 02, 02b, 03, 04.
FIGURES: dict[str, Callable[[Path], AltFigure]] = {
    "01 build context": build_context, "01 docker history": build_history,
    "02 overlay": overlay, "02 layers": layers, "02b digests": digests,
    "03 topology": network, "04 namespaces": namespaces,
}


@pytest.fixture
def zh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("LABKIT_LANG", "zh")
    i18n.reload()
    yield
    i18n.reload()


def bundle(fig: AltFigure) -> tuple[dict[str, str], dict[str, Any]]:
    return fig._repr_mimebundle_()


@needs_font
@pytest.mark.usefixtures("zh")
@pytest.mark.parametrize("name", FIGURES)
def test_a_chinese_figure_misses_no_glyph(name: str, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with caplog.at_level(logging.WARNING, logger="matplotlib.font_manager"):
            fig = FIGURES[name](tmp_path)
            data, meta = bundle(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, f"{name}: {missing[:3]}"
    assert "findfont" not in caplog.text, caplog.text
    assert fig.cjk and CJK.search(meta["image/png"]["alt"])


@pytest.mark.filterwarnings("ignore:Glyph")  # without the CJK font; the test above checks it
@pytest.mark.usefixtures("zh")
@pytest.mark.parametrize("name", FIGURES)
def test_the_labels_are_chinese_with_labkit_lang_zh(name: str, tmp_path: Path) -> None:
    fig = FIGURES[name](tmp_path)
    texts = [t.get_text() for ax in fig.axes
             for t in [*ax.texts, ax.title, ax.xaxis.label]] + [fig.get_suptitle()]
    assert any(CJK.search(t) for t in texts), texts
    assert fig.cjk


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_shows_at_2x_with_its_alt_text(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABKIT_LANG", raising=False)
    monkeypatch.setenv("LANG", "C")
    fig = FIGURES[name](tmp_path)
    data, meta = bundle(fig)
    alt = meta["image/png"]["alt"]
    assert data["text/plain"] == alt and "<Figure" not in alt and not fig.cjk
    assert not CJK.search(alt) and len(alt) > 40
    png = base64.b64decode(data["image/png"])
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (meta["image/png"]["width"], meta["image/png"]["height"]) == (
        round(width / 2), round(height / 2))
    # drawn at twice the figure's dpi: about twice its size in inches (a tight box trims it)
    assert width > 1.2 * fig.get_figwidth() * fig.dpi


def test_the_alt_text_carries_live_values(tmp_path: Path) -> None:
    _data, meta = bundle(layers(tmp_path))
    alt = meta["image/png"]["alt"]
    assert "layer 1 (117 MB); init (0 B); container (22 B)" in alt
    assert "aaaaaaaaaaaa" not in alt  # folder IDs change from run to run: not in the text
    _data, meta = bundle(network(tmp_path))
    assert "veth1111111 <-> c1 eth0 172.17.0.2/16" in meta["image/png"]["alt"]


def test_a_plain_figure_becomes_displayable(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1))
    plt.close(fig)
    same = shown(fig, "  a   small\nfigure ")
    assert same is fig and isinstance(fig, AltFigure) and fig.alt == "a small figure"
    data, meta = bundle(fig)
    assert data["text/plain"] == "a small figure" and meta["image/png"]["alt"] == "a small figure"
