"""The comments a learner reads in a code cell, and translating only them.

Used by `tools/translations.py` (`units()` finds the texts, `translate()` replaces them). What a
learner reads: the text of an ordinary comment (`# why this`), and the comment after `  # ` on a
`### placeholder:` line (the student edition turns that line into code, so only its comment is
translated). The solution markers, other `###` lines and comments that are themselves a Python
expression (an example of an answer's shape) are not prose and stay as they are.

A translated cell must be the same program: `replace()` tokenizes the cell before and after and
compares every token but the comments, and raises `CodeChanged` when they differ.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass

MARKER = re.compile(r"^###\s+(BEGIN|END) SOLUTION\b")
PLACEHOLDER = re.compile(r"^(?P<head>###\s*placeholder:.*?\s#\s*)(?P<text>.+)$")
PLAIN = re.compile(r"^(?P<head>#+\s*)(?P<text>.*)$")
CODE_HINTS = re.compile(r"[\[\](){}=\"']")


class CodeChanged(ValueError):
    """A translation would change a code cell's code, not only its comments."""


@dataclass(frozen=True)
class Comment:
    """One comment a learner reads: where it is (line from 1, columns) and its parts."""

    line: int
    start: int
    end: int
    head: str  # what stays: "# ", or "### placeholder: x = ...  # "
    text: str  # what is translated


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    """The cell's tokens, or None when it is not Python that tokenizes (then: line rules)."""
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def is_code(text: str) -> bool:
    """Whether a comment's text is a Python expression (an answer's shape), not prose."""
    if not CODE_HINTS.search(text):
        return False
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def _readable(token: str) -> tuple[str, str] | None:
    """(head, text) of a comment a learner reads, or None for markers, code and bare `#`."""
    if MARKER.match(token):
        return None
    match = PLACEHOLDER.match(token) if token.startswith("###") else PLAIN.match(token)
    if match is None:
        return None
    text = match["text"].rstrip()
    if not text.strip() or not re.search(r"[A-Za-z]", text) or is_code(text):
        return None
    return match["head"], text


def comments(source: str) -> list[Comment]:
    """Every comment of a code cell that a learner reads, in order (repeats included)."""
    found: list[Comment] = []
    tokens = _tokens(source)
    if tokens is None:  # not Python: only whole-line comments count
        for number, line in enumerate(source.splitlines(), start=1):
            start = len(line) - len(line.lstrip())
            if line.lstrip().startswith("#") and (parts := _readable(line.strip())):
                found.append(Comment(number, start, start + len(line.strip()), *parts))
        return found
    for token in tokens:
        if token.type == tokenize.COMMENT and (parts := _readable(token.string)):
            (row, start), (_, end) = token.start, token.end
            found.append(Comment(row, start, end, *parts))
    return found


def texts(source: str) -> list[str]:
    """The texts of a code cell's comments that a learner reads, in order, without repeats."""
    out: list[str] = []
    for comment in comments(source):
        if comment.text not in out:
            out.append(comment.text)
    return out


def code_tokens(source: str) -> list[tuple[int, str]] | None:
    """The cell's tokens without its comments, as (type, text); None when it does not tokenize."""
    tokens = _tokens(source)
    if tokens is None:
        return None
    return [(t.type, t.string) for t in tokens if t.type != tokenize.COMMENT]


def _without_comment_lines(source: str) -> list[str]:
    return ["#" if line.lstrip().startswith("#") else line for line in source.splitlines()]


def same_code(before: str, after: str) -> bool:
    """Whether two versions of a cell differ at most in their comments."""
    old, new = code_tokens(before), code_tokens(after)
    if old is None:  # not Python: the lines that are not whole-line comments must be equal
        return _without_comment_lines(before) == _without_comment_lines(after)
    return new is not None and old == new


def replace(source: str, translated: Callable[[str], str | None], where: str = "") -> str:
    """The cell with each readable comment's text replaced by `translated(text)` (when not None).

    Raises:
        CodeChanged: the result is not the same code (a translation holds a line break, or
            closes the comment some other way); the message names `where` and the text.
    """
    lines = source.split("\n")
    for comment in reversed(comments(source)):  # right to left keeps the columns valid
        new = translated(comment.text)
        if new is None:
            continue
        if "\n" in new or "\r" in new:
            raise CodeChanged(f"{where}: the translation of the comment {comment.text!r} has a"
                              " line break; a comment's translation must be one line.")
        line = lines[comment.line - 1]
        lines[comment.line - 1] = line[:comment.start] + comment.head + new + line[comment.end:]
    result = "\n".join(lines)
    if not same_code(source, result):
        raise CodeChanged(f"{where}: the translated comments would change the code of the cell;"
                          " fix the comment translations in the .po file (only the text after"
                          " `# ` may change).")
    return result
