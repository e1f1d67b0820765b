"""What labkit says to a learner, in the learner's language: the one translation primitive.

Taught in: every chapter (check results, hints, errors). The language is `LABKIT_LANG` (`zh`,
`en`), else the language of the notebook the kernel runs (the Chinese edition's notebooks carry
`"language": "zh"` in their metadata; Jupyter tells the kernel its notebook's path in
`JPY_SESSION_NAME`), else the locale (`LANGUAGE`, `LC_ALL`, `LC_MESSAGES`, `LANG` starting with
`zh`), else English. It is read at each call, so a notebook may set `os.environ["LABKIT_LANG"]`
before `labkit.start()`.

The catalog is the committed source `labkit/locale/zh/LC_MESSAGES/labkit.po`, compiled in memory
with Babel the first time it is needed (no binary .mo is committed). A missing or broken catalog
means English, never a traceback. `tools/labkit_messages.py` extracts and checks the messages.
"""

from __future__ import annotations

import gettext
import io
import json
import os
from functools import lru_cache
from pathlib import Path

DOMAIN = "labkit"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("en", "zh")
_LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@lru_cache(maxsize=8)
def _notebook_language(path: str, mtime: float) -> str:
    """The `language` in a notebook's metadata ("" when it has none or cannot be read)."""
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle).get("metadata", {}).get("language", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


def notebook_language() -> str:
    """The language of the notebook this kernel runs, from `JPY_SESSION_NAME` ("" if unknown)."""
    path = os.environ.get("JPY_SESSION_NAME", "")
    if not path.endswith(".ipynb"):
        return ""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return ""
    return _notebook_language(path, mtime)


def language() -> str:
    """The language labkit speaks now: "zh" or "en" (see the module docstring)."""
    chosen = os.environ.get("LABKIT_LANG", "").strip().lower()
    if chosen:
        return "zh" if chosen.startswith("zh") else "en"
    if (of_notebook := notebook_language().lower()):
        return "zh" if of_notebook.startswith("zh") else "en"
    for var in _LOCALE_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            # LANGUAGE may list several ("zh_CN:en"); the first one wins, as in gettext.
            return "zh" if value.split(":")[0].lower().startswith("zh") else "en"
    return "en"


def catalog_path(lang: str = "zh") -> Path:
    """Where the source catalog of a language lives."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=4)
def _translations(path: str) -> gettext.NullTranslations:
    """The compiled catalog at `path`, or English (NullTranslations) if it is missing or broken."""
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with open(path, "rb") as handle:
            catalog = read_po(handle, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)
    except Exception:  # noqa: BLE001 - any broken catalog means English, never a traceback
        return gettext.NullTranslations()


def translations() -> gettext.NullTranslations:
    """The translations for the current language (English: identity)."""
    lang = language()
    if lang == "en":
        return gettext.NullTranslations()
    return _translations(str(catalog_path(lang)))


def _(message: str) -> str:
    """`message` in the learner's language; English when there is no translation."""
    if not message or language() == "en":
        return message
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message, in the learner's language."""
    if language() == "en":
        return singular if n == 1 else plural
    return translations().ngettext(singular, plural, n)


def reload() -> None:
    """Forget compiled catalogs (tests and `tools/labkit_messages.py` call this after edits)."""
    _translations.cache_clear()


def N_(message: str) -> str:
    """Mark a module-level message for extraction; translate it with `_()` where it is used."""
    return message
