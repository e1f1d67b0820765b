"""The Chinese edition's translations: one gettext catalog per chapter (`./course translations`).

The English notebooks in `notebooks/` are the source. What a reader reads is translated:

- each markdown cell, as one message whose context (`msgctxt`) is the cell's id and whose
  `msgid` is the cell's whole English text;
- each comment a learner reads in a code cell (`# why this`, and the text after `  # ` on a
  `### placeholder:` line), as one message with context `CELL_ID:comment`; the code itself is
  never touched.

The catalogs live in `translations/zh/NN-name.po`. `update` merges the notebooks into them: a new
cell gets an empty entry, a changed one is marked fuzzy and keeps its old translation and, as
`#| msgid`, the English it translated (so the translator sees what changed), a removed one becomes
obsolete. `status` lists every entry that is missing, empty or fuzzy, and exits 1 when there is
one. `build` writes the translated notebooks (code cells and outputs untouched). See
CONTRIBUTING.md, "The Chinese edition".
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("zh",)
LOCALE = {"zh": "zh_Hans_CN"}
COMMENT = ":comment"
MARKER = re.compile(r"^###\s+(BEGIN|END) SOLUTION\b")
PLACEHOLDER = re.compile(r"^###\s*placeholder:.*?\s#\s?(?P<text>.+)$")
PLAIN = re.compile(r"^#+\s?(?P<text>.*)$")


@dataclass(frozen=True)
class Unit:
    """One translatable text of a notebook: its context (cell id) and its English text."""

    context: str
    text: str
    kind: str  # "markdown" or "comment"


def _comments(source: str) -> list[str]:
    """The texts of a code cell's comments that a learner reads, in order, without repeats."""
    found: list[str] = []
    try:
        tokens = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline)
                  if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = [line.strip() for line in source.splitlines() if line.strip().startswith("#")]
    for token in tokens:
        if MARKER.match(token):
            continue
        match = PLACEHOLDER.match(token) if token.startswith("###") else PLAIN.match(token)
        if token.startswith("###") and not match:
            continue
        text = match["text"].strip() if match else ""
        if text and re.search(r"[A-Za-z]", text) and text not in found:
            found.append(text)
    return found


def units(nb: nbformat.NotebookNode) -> list[Unit]:
    """Every translatable text of a notebook, in cell order."""
    out: list[Unit] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            out.append(Unit(cell.id, cell.source, "markdown"))
        elif cell.cell_type == "code":
            out += [Unit(cell.id + COMMENT, text, "comment") for text in _comments(cell.source)]
    return out


def catalog_path(language: str, notebook: Path, root: Path = ROOT) -> Path:
    """Where a chapter's catalog lives: translations/LANG/NN-name.po."""
    return root / "translations" / language / f"{notebook.stem}.po"


HEADER = ("# {language} translation of the Docker Internals Workbook's chapter {chapter}.\n"
          "# The English notebook is the source: `./course translations update` merges it in.")


def _empty(language: str, like: Catalog | None = None) -> Catalog:
    catalog = Catalog(locale=LOCALE[language], project="docker-internals-workbook",
                      version="1", fuzzy=False, language_team="Docker Internals Workbook",
                      last_translator="Docker Internals Workbook",
                      msgid_bugs_address="(the project's issue tracker)")
    if like is not None:
        catalog.creation_date, catalog.revision_date = like.creation_date, like.revision_date
    return catalog


def load(path: Path, language: str) -> Catalog:
    """Read a catalog, or an empty one for `language` when the file does not exist yet."""
    if not path.exists():
        return _empty(language)
    with path.open("rb") as handle:
        return read_po(handle, locale=LOCALE[language])


def save(catalog: Catalog, path: Path, language: str = "zh") -> None:
    """Write a catalog (sorted by the notebook's order, as `update` built it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.header_comment = HEADER.format(language=catalog.locale.english_name,
                                           chapter=path.stem)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, include_previous=True,
             ignore_obsolete=False, sort_output=False)
    path.write_bytes(buffer.getvalue())


def update(nb: nbformat.NotebookNode, old: Catalog, language: str) -> Catalog:
    """Merge a notebook's texts into its catalog (new, fuzzy-changed, kept, obsolete)."""
    by_context = {message.context: message for message in old if message.id}
    new = _empty(language, like=old)
    for unit in units(nb):
        key = unit.context
        previous = by_context.get(key) if unit.kind == "markdown" else old.get(unit.text, key)
        message = Message(unit.text, context=key, auto_comments=[unit.kind])
        if previous is not None and previous.string:
            message.string = previous.string
            if previous.id != unit.text or previous.fuzzy:
                message.flags.add("fuzzy")
                message.previous_id = (previous.previous_id if previous.id == unit.text
                                       else [previous.id])
        new[unit.text] = message
    current = {(u.text, u.context) for u in units(nb)}
    for message in old:
        if message.id and (message.id, message.context) not in current and message.string:
            new.obsolete[(message.id, message.context)] = message
    return new


@dataclass(frozen=True)
class Problem:
    """An entry that keeps the edition from being complete."""

    notebook: str
    context: str
    why: str  # "missing", "fuzzy" (the English changed), "empty"
    english: str


def problems(nb: nbformat.NotebookNode, catalog: Catalog, name: str) -> list[Problem]:
    """Every text of the notebook without a current translation in the catalog."""
    found: list[Problem] = []
    for unit in units(nb):
        message = catalog.get(unit.text, unit.context)
        if message is None:
            why = "missing"
        elif message.fuzzy:
            why = "fuzzy"
        elif not message.string:
            why = "empty"
        else:
            continue
        found.append(Problem(name, unit.context, why, unit.text))
    return found


def translate(nb: nbformat.NotebookNode, catalog: Catalog) -> tuple[nbformat.NotebookNode, int]:
    """A copy of the notebook with every current translation applied; (notebook, untranslated).

    Markdown cells are replaced whole; in code cells only the comment texts change.
    """
    out = nbformat.from_dict(nb)
    missing = 0
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.source.strip():
            message = catalog.get(cell.source, cell.id)
            if message is not None and message.string and not message.fuzzy:
                cell.source = message.string
            else:
                missing += 1
        elif cell.cell_type == "code":
            for text in _comments(cell.source):
                message = catalog.get(text, cell.id + COMMENT)
                if message is not None and message.string and not message.fuzzy:
                    cell.source = re.sub(r"(#\s?)" + re.escape(text),
                                         lambda m, s=message.string: m.group(1) + s,
                                         cell.source)
                else:
                    missing += 1
    return out, missing


def notebooks(source: Path) -> list[Path]:
    """The chapters, in name order."""
    return sorted(source.glob("[0-9][0-9]*-*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    """`./course translations update|status|build`."""
    parser = argparse.ArgumentParser(prog="course translations",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("verb", choices=("update", "status", "build"))
    parser.add_argument("--lang", choices=LANGUAGES, default="zh")
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    paths = notebooks(args.source)
    if args.verb == "update":
        for path in paths:
            target = catalog_path(args.lang, path)
            nb = nbformat.read(path, as_version=4)
            save(update(nb, load(target, args.lang), args.lang), target)
            print(f"  {target.relative_to(ROOT)}")
        return 0
    if args.verb == "status":
        total: list[Problem] = []
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            total += problems(nb, load(catalog_path(args.lang, path), args.lang), path.name)
        for problem in total:
            first = problem.english.strip().splitlines()[0][:70]
            print(f"  {problem.notebook} {problem.context}: {problem.why}: {first}")
        print(f"translations ({args.lang}): {len(total)} text(s) to translate"
              + (" (run `./course translations update`, then edit the .po files)" if total
                 else ""))
        return 1 if total else 0
    folder = args.out / args.lang / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        translated, missing = translate(nb, load(catalog_path(args.lang, path), args.lang))
        nbformat.write(translated, folder / path.name)
        print(f"  {path.name}: {missing} text(s) left in English")
    return 0


if __name__ == "__main__":
    sys.exit(main())
