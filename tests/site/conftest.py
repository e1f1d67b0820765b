"""The sites built once per session from notebooks/: editions first, then each site.

English always; Chinese when `tools/translations.py build` can write dist/zh/notebooks (it
leaves untranslated cells in English). Everything goes to a tmp folder, never to dist/.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.unit.tool_modules import load

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Built:
    """One site: its folder, the edition it was built from, its pages, its language."""

    site: Path
    edition: Path
    notebooks: Path
    pages: list
    lang: str
    answers: bool
    seconds: float = 0.0
    switch: tuple[str, str] | None = field(default=None)


def _zh_notebooks(dist: Path) -> Path | None:
    translations = load("translations")
    try:
        if translations.main(["build", "--out", str(dist)]) != 0:
            return None
    except Exception:  # noqa: BLE001 (no Chinese edition here: the zh checks skip)
        return None
    folder = dist / "zh" / "notebooks"
    return folder if any(folder.glob("[0-9][0-9]*-*.ipynb")) else None


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """{"en", "en-answers", and when possible "zh", "zh-answers"}: each site, built once."""
    editions, build_site = load("editions"), load("build_site")
    base = tmp_path_factory.mktemp("sites")
    dist = base / "dist"
    editions.build(ROOT / "notebooks", dist)
    zh = _zh_notebooks(dist)
    if zh:
        editions.build(zh, dist / "zh")
    built: dict[str, Built] = {}
    for answers in (False, True):
        folder = base / ("site-answers" if answers else "site")
        key = "en-answers" if answers else "en"
        edition = dist / ("answer-key" if answers else "student")
        switch = ("zh/", "中文") if zh else None
        start = time.monotonic()
        pages = build_site.build(edition, folder, answers=answers, lang="en", switch=switch)
        built[key] = Built(folder, edition, ROOT / "notebooks", pages, "en", answers,
                           time.monotonic() - start, switch)
        if zh:
            edition = dist / "zh" / ("answer-key" if answers else "student")
            start = time.monotonic()
            pages = build_site.build(edition, folder / "zh", answers=answers, lang="zh",
                                     switch=("../", "English"))
            built[f"zh{key[2:]}"] = Built(folder / "zh", edition, zh, pages, "zh", answers,
                                          time.monotonic() - start, ("../", "English"))
    return built
