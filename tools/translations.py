"""The Chinese edition's translations: one gettext catalog per chapter (`./course translations`).

The English notebooks in `notebooks/` are the source. What a reader reads is translated:

- each markdown cell, as one message whose context (`msgctxt`) is the cell's id and whose
  `msgid` is the cell's whole English text;
- each comment a learner reads in a code cell (`# why this`, and the text after `  # ` on a
  `### placeholder:` line), as one message with context `CELL_ID:comment`; the code itself is
  never touched (tools/i18n/comments.py).

The catalogs live in `translations/zh/NN-name.po`. `update` merges the notebooks into them: a new
cell gets an empty entry, a changed one is marked fuzzy and keeps its old translation and, as
`#| msgid`, the English it translated (so the translator sees what changed), a removed one becomes
obsolete. `status` lists every entry that is missing, empty or fuzzy, and every current
translation that loses the English's code, links, headings or line breaks or strays from the
glossary (tools/i18n/review.py), and exits 1 when there is one. `build` writes
`dist/zh/notebooks/`: each English notebook (outputs untouched) with its current translations
applied, untranslated or stale texts left in English, and the notebook metadata
`language: "zh"` (the editions read it). A translation that would change a code cell's code
stops the build with the notebook, the cell and what to fix. See CONTRIBUTING.md, "The Chinese
edition".
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/i18n, beside this file

import nbformat
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import escape, read_po, unescape, write_po
from i18n import comments, glossary, review
from i18n.comments import CodeChanged

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("zh",)
LOCALE = {"zh": "zh_Hans_CN"}
COMMENT = ":comment"
PO_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
PREVIOUS_MARK = re.compile(r'^#\| msgid "@@previous-(?P<n>\d+)@@"$', re.MULTILINE)


class TranslationError(Exception):
    """A catalog cannot be applied (a translation would change code); the message says why."""


@dataclass(frozen=True)
class Unit:
    """One translatable text of a notebook: its context (cell id) and its English text."""

    context: str
    text: str
    kind: str  # "markdown" or "comment"


def _comments(source: str) -> list[str]:
    """The texts of a code cell's comments that a learner reads, in order, without repeats."""
    return comments.texts(source)


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


def _previous_from_comments(message: Message) -> None:
    """Give back `previous_id` from the `#| msgid` lines Babel reads as user comments."""
    lines = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
    if not lines:
        return
    message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    text = " ".join(lines)
    if text.startswith("msgid "):
        message.previous_id = ["".join(unescape(s) for s in PO_STRING.findall(text))]


def load(path: Path, language: str) -> Catalog:
    """Read a catalog, or an empty one for `language` when the file does not exist yet."""
    if not path.exists():
        return _empty(language)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=LOCALE[language])
    for message in catalog:
        _previous_from_comments(message)
    return catalog


def _previous_block(text: str) -> str:
    """The English a fuzzy translation was made for, as GNU gettext writes it (`#| msgid`)."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= 1:
        return f"#| msgid {escape(text)}"
    return "\n".join(["#| msgid \"\""] + [f"#| {escape(line)}" for line in lines])


def _same_ends(english: str, text: str) -> str:
    """`text` beginning and ending with a line break exactly when `english` does."""
    text = text.rstrip("\n") + ("\n" if english.endswith("\n") else "")
    return ("\n" if english.startswith("\n") else "") + text.lstrip("\n")


def save(catalog: Catalog, path: Path, language: str = "zh") -> None:
    """Write a catalog (sorted by the notebook's order, as `update` built it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.header_comment = HEADER.format(language=catalog.locale.english_name,
                                           chapter=path.stem)
    messages = [*catalog, *catalog.obsolete.values()]
    for message in messages:  # msgfmt --check: a translation begins and ends as its msgid does
        if message.id and isinstance(message.string, str) and message.string:
            message.string = _same_ends(str(message.id), message.string)
    # Babel wraps `#| msgid` comments at 76 columns, even inside a string: write them ourselves.
    previous = {n: m.previous_id for n, m in enumerate(messages) if m.previous_id}
    for n in previous:
        messages[n].previous_id = [f"@@previous-{n}@@"]
    buffer = io.BytesIO()
    try:
        write_po(buffer, catalog, width=0, omit_header=False, include_previous=True,
                 ignore_obsolete=False, sort_output=False)
    finally:
        for n, previous_id in previous.items():
            messages[n].previous_id = previous_id
    text = PREVIOUS_MARK.sub(lambda m: _previous_block(previous[int(m["n"])][0]),
                             buffer.getvalue().decode("utf-8"))
    path.write_text(text, encoding="utf-8")


def update(nb: nbformat.NotebookNode, old: Catalog, language: str) -> Catalog:
    """Merge a notebook's texts into its catalog (new, fuzzy-changed, kept, obsolete).

    A text found under its context as it is keeps its translation. A changed text takes the
    translation of an old text of the same context (its cell) that is no longer there, in order,
    marked fuzzy, with the English that translation was made for as `previous_id` (`#| msgid`);
    an English change undone before the translator came makes it current again. Old texts
    matched by nothing, with a translation, become obsolete (`#~`).
    """
    current = units(nb)
    exact = {(unit.text, unit.context) for unit in current}
    leftovers: dict[str, list[Message]] = {}
    for message in old:
        if message.id and (message.id, message.context) not in exact:
            leftovers.setdefault(message.context, []).append(message)
    new = _empty(language, like=old)
    for unit in current:
        previous = old.get(unit.text, unit.context)
        if previous is None and leftovers.get(unit.context):
            previous = leftovers[unit.context].pop(0)
        message = Message(unit.text, context=unit.context, auto_comments=[unit.kind])
        if previous is not None:
            message.user_comments = list(previous.user_comments)  # a translator's own notes
        if previous is not None and previous.string:
            message.string = previous.string
            reverted = previous.fuzzy and list(previous.previous_id) == [unit.text]
            if (previous.id != unit.text or previous.fuzzy) and not reverted:
                message.flags.add("fuzzy")
                message.previous_id = (list(previous.previous_id)
                                       if previous.fuzzy and previous.previous_id
                                       else [previous.id])
        new[unit.text] = message
    for messages in leftovers.values():
        for message in messages:
            if message.string:
                new.obsolete[(message.id, message.context)] = message
    for key, message in old.obsolete.items():
        if (message.id, message.context) not in exact:
            new.obsolete.setdefault(key, message)
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


def _current(catalog: Catalog, text: str, context: str) -> str | None:
    """The translation of `text` when it is current (there, not empty, not fuzzy), else None."""
    message = catalog.get(text, context)
    if message is None or not message.string or message.fuzzy:
        return None
    return str(message.string)


def translate(nb: nbformat.NotebookNode, catalog: Catalog,
              name: str = "the notebook") -> tuple[nbformat.NotebookNode, int]:
    """A copy of the notebook with every current translation applied; (notebook, untranslated).

    Markdown cells are replaced whole; in code cells only the comment texts change, and the
    code is compared token by token. Outputs, ids and metadata are untouched.
    Raises:
        TranslationError: a comment's translation would change the code (names notebook, cell).
    """
    out = nbformat.from_dict(nb)
    missing = 0
    for index, cell in enumerate(out.cells, start=1):
        if cell.cell_type == "markdown" and cell.source.strip():
            translated = _current(catalog, cell.source, cell.id)
            if translated is None:
                missing += 1
            else:
                cell.source = translated
        elif cell.cell_type == "code":
            context = cell.id + COMMENT
            texts = _comments(cell.source)
            missing += sum(_current(catalog, text, context) is None for text in texts)
            if not texts:
                continue
            try:
                cell.source = comments.replace(
                    cell.source, lambda text, c=context: _current(catalog, text, c),
                    where=f"{name}, cell {index} (id {cell.id})")
            except CodeChanged as error:
                raise TranslationError(str(error)) from None
    return out, missing


@dataclass(frozen=True)
class Built:
    """One translated notebook written by `build()`."""

    name: str
    path: Path
    untranslated: int


def build(source: Path, out: Path, language: str = "zh", root: Path = ROOT) -> list[Built]:
    """Write OUT/LANG/notebooks/: each notebook of SOURCE with its catalog applied.

    Each notebook gets the metadata `language: LANG` (the editions write their first cell in
    that language); everything else (code, outputs, ids, kernel) is the English notebook's.
    The folder is emptied first, and nothing is written when one notebook fails.
    Raises:
        TranslationError: a translation would change code, or SOURCE holds no notebook.
    """
    paths = notebooks(source)
    if not paths:
        raise TranslationError(f"no notebooks (NN-name.ipynb) in {source}; pass --source with"
                               " the folder of the English notebooks.")
    made = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        catalog = load(catalog_path(language, path, root), language)
        translated, missing = translate(nb, catalog, path.name)
        translated.metadata["language"] = language
        made.append((path.name, translated, missing))
    folder = out / language / "notebooks"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    built = []
    for name, translated, missing in made:
        nbformat.write(translated, folder / name)
        built.append(Built(name, folder / name, missing))
    return built


def notebooks(source: Path) -> list[Path]:
    """The chapters, in name order."""
    return sorted(source.glob("[0-9][0-9]*-*.ipynb"))


def _update(paths: list[Path], language: str, root: Path) -> int:
    for path in paths:
        target = catalog_path(language, path, root)
        nb = nbformat.read(path, as_version=4)
        old = load(target, language)
        new = update(nb, old, language)
        save(new, target)
        stale = sum(1 for message in new if message.id and message.fuzzy)
        todo = sum(1 for message in new if message.id and not message.string)
        print(f"  {target.relative_to(root) if target.is_relative_to(root) else target}:"
              f" {sum(1 for m in new if m.id)} text(s), {todo} to translate,"
              f" {stale} changed in English (fuzzy)")
    return 0


def reviewed(nb: nbformat.NotebookNode, catalog: Catalog, name: str,
             terms: glossary.Glossary) -> list[str]:
    """What the current translations of a notebook do wrong (structure, line breaks, glossary)."""
    found = []
    for unit in units(nb):
        translated = _current(catalog, unit.text, unit.context)
        if translated is not None:
            found += [f"{name} {unit.context}: {problem}"
                      for problem in review.problems(unit.kind, unit.text, translated, terms)]
    return found


def _status(paths: list[Path], language: str, root: Path) -> int:
    total: list[Problem] = []
    wrong: list[str] = []
    terms_file = root / "translations" / language / "glossary.md"
    try:
        terms = glossary.parse(terms_file) if terms_file.exists() else glossary.Glossary((), ())
    except glossary.GlossaryError as error:
        print(f"translations: {error}", file=sys.stderr)
        return 1
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        catalog = load(catalog_path(language, path, root), language)
        total += problems(nb, catalog, path.name)
        wrong += reviewed(nb, catalog, path.name, terms)
    for problem in total:
        first = problem.english.strip().splitlines()[0][:70]
        print(f"  {problem.notebook} {problem.context}: {problem.why}: {first}")
    for line in wrong:
        print(f"  {line}")
    print(f"translations ({language}): {len(total)} text(s) to translate"
          + (" (run `./course translations update`, then edit the .po files with a PO editor)"
             if total else "")
          + (f"; {len(wrong)} problem(s) in translations (code, links, headings, line breaks"
             f" or glossary: {terms_file.relative_to(root)})" if wrong else ""))
    return 1 if total or wrong else 0


def main(argv: list[str] | None = None) -> int:
    """`./course translations update|status` and `tools/translations.py build`."""
    parser = argparse.ArgumentParser(prog="course translations",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("verb", choices=("update", "status", "build"),
                        help="update: merge the English into the catalogs; status: list what"
                             " needs translating and what a translation does wrong (exit 1 if"
                             " anything); build: write OUT/LANG/notebooks/")
    parser.add_argument("--lang", choices=LANGUAGES, default="zh")
    parser.add_argument("--source", type=Path, default=ROOT / "notebooks",
                        help="the English notebooks (default: notebooks/)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist",
                        help="build: where LANG/notebooks/ goes (default: dist/)")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the folder holding translations/LANG/ (default: the project)")
    args = parser.parse_args(argv)
    paths = notebooks(args.source)
    if not paths:
        print(f"translations: no notebooks (NN-name.ipynb) in {args.source}", file=sys.stderr)
        return 1
    if args.verb == "update":
        return _update(paths, args.lang, args.root)
    if args.verb == "status":
        return _status(paths, args.lang, args.root)
    try:
        built = build(args.source, args.out, args.lang, args.root)
    except TranslationError as error:
        print(f"translations: {error}", file=sys.stderr)
        return 1
    for item in built:
        print(f"  {item.name}: {item.untranslated} text(s) left in English")
    print(f"translations: {args.out / args.lang / 'notebooks'} ({len(built)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
