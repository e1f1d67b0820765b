"""The glossary of a translation (`translations/LANG/glossary.md`), read and checked.

Used by tests/unit/test_translations.py. The glossary is a markdown table
`| English | 中文 | avoid |` (the avoided words separated by commas) followed by a section
"Kept in English" whose code spans are Docker's and the kernel's own words. A translation
offends when the English prose uses a term as a whole word (case-insensitive, plural `-s`,
`-es` or `-ies` allowed; not inside a phrase of the section "Same word, another sense") and
the translation lacks the Chinese term, when it uses an avoided word, or when a kept word is in
code font in the English but not in the translation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import markdown

ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")
KEPT_HEADING = re.compile(r"^##\s+Kept in English", re.IGNORECASE)
SENSE_HEADING = re.compile(r"^##\s+Same word, another sense", re.IGNORECASE)
PHRASE = re.compile(r'^\s*[-*]\s+"(?P<phrase>[^"]+)"')
QUOTED = re.compile(r'"[^"\n]*"')  # a comment's example value ("ADDRESS:PORT") is not prose


class GlossaryError(ValueError):
    """The glossary file cannot be read as a table of terms; the message says where."""


@dataclass(frozen=True)
class Term:
    """One fixed term: the English word, the word every translation uses, the words it avoids."""

    english: str
    chinese: str
    avoid: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        """The English term as a whole word, any case, singular or plural."""
        words = r"[\s-]+".join(re.escape(word) for word in re.split(r"[\s-]+", self.english))
        plural = r"(?:s|es)?"
        if self.english.lower().endswith("y"):
            words, plural = words[:-1], r"(?:y|ies)"
        return re.compile(rf"(?<![\w-]){words}{plural}(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Glossary:
    """The terms of the table and the words kept in English (in code font)."""

    terms: tuple[Term, ...]
    kept: tuple[str, ...]
    other_senses: tuple[str, ...] = ()  # English phrases where a term's word is not the term


def parse(path: Path) -> Glossary:
    """Read glossary.md: its table of terms and its "Kept in English" code spans.

    Raises:
        GlossaryError: no table with the columns English, a translation and avoid.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    terms: list[Term] = []
    kept: list[str] = []
    senses: list[str] = []
    header_seen, section = False, ""
    for line in lines:
        if line.startswith("## "):
            section = ("kept" if KEPT_HEADING.match(line)
                       else "senses" if SENSE_HEADING.match(line) else "")
            continue
        if section == "kept":
            kept += [span.strip("`") for span in markdown.code_spans(line)]
            continue
        if section == "senses":
            if phrase := PHRASE.match(line):
                senses.append(phrase["phrase"])
            continue
        row = ROW.match(line.strip())
        if row is None:
            continue
        cells = [cell.strip() for cell in row["cells"].split("|")]
        if not header_seen:
            header_seen = len(cells) == 3 and cells[0].lower() == "english"
            continue
        if set("".join(cells)) <= set("-: "):
            continue  # the |---| line
        if len(cells) != 3 or not cells[0] or not cells[1]:
            raise GlossaryError(f"{path}: the row {line.strip()!r} needs three cells:"
                                " English | translation | avoided words (may be empty).")
        avoid = tuple(word.strip() for word in cells[2].split(",") if word.strip())
        terms.append(Term(cells[0], cells[1], avoid))
    if not terms:
        raise GlossaryError(f"{path}: no table `| English | 中文 | avoid |` with terms found.")
    return Glossary(tuple(terms), tuple(kept), tuple(senses))


def _word(word: str) -> re.Pattern[str]:
    before = r"(?<![\w-])" if re.match(r"\w", word) else ""
    after = r"(?![\w-])" if re.search(r"\w$", word) else ""
    return re.compile(before + re.escape(word) + after)


def offenses(glossary: Glossary, english: str, translation: str) -> list[str]:
    """What the translation of one text does against the glossary ([] when nothing).

    Args:
        english: the English text (markdown cell or comment); its code spans, fenced code,
            link targets and double-quoted strings are not searched for terms.
        translation: its translation.
    """
    found: list[str] = []
    english_prose = QUOTED.sub(" ", markdown.prose(english))
    for phrase in glossary.other_senses:
        english_prose = re.sub(re.escape(phrase), " ", english_prose, flags=re.IGNORECASE)
    for term in glossary.terms:
        if term.pattern.search(english_prose) and term.chinese not in translation:
            found.append(f"uses {term.english!r} in English but not {term.chinese}")
        for word in term.avoid:
            if word in translation:
                found.append(f"uses {word!r} (the glossary says {term.chinese})")
    english_code = markdown.code_spans(english)
    translated_code = markdown.code_spans(translation)
    for word in glossary.kept:
        pattern = _word(word)
        if any(pattern.search(span) for span in english_code) and not any(
                pattern.search(span) for span in translated_code):
            found.append(f"`{word}` is in code font in English but not in the translation")
    return found
