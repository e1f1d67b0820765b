"""What a current translation must respect, for one text: `./course translations status` and
tests/unit/test_translations.py ask the same questions.

- structure: a markdown cell keeps the English's code spans, fenced code, link targets and
  heading levels (`markdown.structure_problems`); a comment keeps its double-quoted values
  (`"ADDRESS:PORT"` is an example of an answer, not prose);
- line breaks: a translation begins and ends with a line break exactly when its English does
  (`msgfmt --check` refuses a catalog otherwise; `save()` mends it);
- glossary: `glossary.offenses`.
"""

from __future__ import annotations

import re
from collections import Counter

from . import glossary as glossary_module
from . import markdown

QUOTED = re.compile(r'"[^"\n]*"')


def structure(kind: str, english: str, translation: str) -> list[str]:
    """What the translation of one text (kind "markdown" or "comment") lost or changed."""
    if kind == "markdown":
        found = markdown.structure_problems(english, translation)
    else:
        lost = Counter(QUOTED.findall(english)) - Counter(QUOTED.findall(translation))
        found = [f"quoted values lost: {sorted(lost.elements())}"] if lost else []
    for end, name in ((0, "starts"), (-1, "ends")):
        if (english[end:] == "\n") != (translation[end:] == "\n"):
            found.append(f"{name} with a line break where the English does not, or not where"
                         " it does")
    return found


def problems(kind: str, english: str, translation: str,
             terms: glossary_module.Glossary) -> list[str]:
    """Everything wrong with one current translation: structure, then glossary."""
    return structure(kind, english, translation) + glossary_module.offenses(
        terms, english, translation)
