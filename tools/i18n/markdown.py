"""What a translated markdown cell must keep from the English, and its prose without the code.

Used by `tools/translations.py` and tests/unit/test_translations.py: a translation keeps the
English cell's code spans (the same multiset of `...` spans), its fenced code blocks exactly,
its link targets and its heading levels; the glossary is checked on the prose (the text with
code and link targets removed).
"""

from __future__ import annotations

import re
from collections import Counter

FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.DOTALL)
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]\\]|\\.)*)\]\(\s*<?(?P<target>[^)\s>]*)>?"
                  r"(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
AUTOLINK = re.compile(r"<(?P<target>(?:https?|mailto):[^>\s]+)>")
HTML_ATTR = re.compile(r"""\b(?:href|src)\s*=\s*["'](?P<target>[^"']+)["']""")
HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})(?:\s|$)")
URL = re.compile(r"https?://\S+")
HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>")


def split_fenced(text: str) -> tuple[str, list[str]]:
    """(the text with each fenced code block replaced by an empty line, the blocks in order)."""
    outside: list[str] = []
    blocks: list[str] = []
    current: list[str] | None = None
    opener = ""
    for line in text.split("\n"):
        match = FENCE.match(line)
        if current is None:
            if match:
                current, opener = [line], match["fence"]
            else:
                outside.append(line)
            continue
        current.append(line)
        if match and match["fence"][0] == opener[0] and len(match["fence"]) >= len(opener) \
                and not line.strip().strip(opener[0]):
            blocks.append("\n".join(current))
            outside.append("")
            current = None
    if current is not None:  # an unclosed fence runs to the end of the cell
        blocks.append("\n".join(current))
    return "\n".join(outside), blocks


def code_spans(text: str) -> list[str]:
    """The inline code spans outside fenced blocks, each with its backticks, in order.

    A line break inside a span is a space (as CommonMark renders it).
    """
    outside, _ = split_fenced(text)
    return [re.sub(r"[ \t]*\n\s*", " ", match.group(0)) for match in CODE_SPAN.finditer(outside)]


def _without_code(text: str) -> str:
    outside, _ = split_fenced(text)
    return CODE_SPAN.sub(" ", outside)


def link_targets(text: str) -> list[str]:
    """Every link and image target outside code (markdown, autolinks, HTML href/src), in order."""
    plain = _without_code(text)
    found = [(m.start(), m["target"]) for m in LINK.finditer(plain)]
    found += [(m.start(), m["target"]) for m in AUTOLINK.finditer(plain)]
    found += [(m.start(), m["target"]) for m in HTML_ATTR.finditer(plain)]
    return [target for _, target in sorted(found)]


def heading_levels(text: str) -> list[int]:
    """The level of each ATX heading (`#` to `######`) outside fenced code, in order."""
    outside, _ = split_fenced(text)
    return [len(m["level"]) for line in outside.split("\n") if (m := HEADING.match(line))]


def prose(text: str) -> str:
    """The words a reader reads: no fenced code, code spans, link targets, URLs or HTML tags."""
    plain = _without_code(text)
    plain = LINK.sub(lambda m: " " + m["text"] + " ", plain)
    plain = AUTOLINK.sub(" ", plain)
    plain = URL.sub(" ", plain)
    return HTML_TAG.sub(" ", plain)


def _difference(english: list[str], translation: list[str]) -> str:
    missing = Counter(english) - Counter(translation)
    added = Counter(translation) - Counter(english)
    parts = []
    if missing:
        parts.append("missing " + ", ".join(sorted(missing.elements())))
    if added:
        parts.append("added " + ", ".join(sorted(added.elements())))
    return "; ".join(parts)


def structure_problems(english: str, translation: str) -> list[str]:
    """What the translation lost or changed of the English cell's code, links and headings.

    Every code span of the English must be in the translation. The translation may add code
    spans only around words the English has as plain text (a kept word such as overlay2 or
    BuildKit, put in code font as the glossary asks) or around a part of the English's code
    (`-t` when the English has `-t 3`).
    """
    found: list[str] = []
    english_spans, translated_spans = code_spans(english), code_spans(translation)
    plain = _without_code(english)
    added = Counter(translated_spans) - Counter(english_spans)
    english_code = " ".join(english_spans)
    allowed = [span for span in added.elements()
               if span.strip("`").strip() in plain or span.strip("`").strip() in english_code]
    if diff := _difference(english_spans, _minus(translated_spans, allowed)):
        found.append(f"code spans differ: {diff}")
    if split_fenced(english)[1] != split_fenced(translation)[1]:
        found.append("fenced code blocks differ (keep them exactly as in the English)")
    if diff := _difference(link_targets(english), link_targets(translation)):
        found.append(f"link targets differ: {diff}")
    if heading_levels(english) != heading_levels(translation):
        found.append(f"heading levels differ: English {heading_levels(english)},"
                     f" translation {heading_levels(translation)}")
    return found


def _minus(items: list[str], remove: list[str]) -> list[str]:
    left = Counter(items) - Counter(remove)
    return list(left.elements())
