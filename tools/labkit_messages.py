"""What labkit says to a learner, in Chinese: the catalog `labkit/locale/zh/LC_MESSAGES/labkit.po`.

Every message labkit shows a learner is marked in the source with `_()` (or `N_()` for a
module-level text translated where it is used, `ngettext()` for a count); see
`labkit/base/i18n.py`. This tool keeps the catalog in step with the source:

    python tools/labkit_messages.py update   # add new messages, mark changed ones fuzzy
    python tools/labkit_messages.py status   # list missing, empty or fuzzy ones; exit 1 if any

`update` extracts the messages with Babel and merges them into the catalog: a new message gets
an empty entry, a changed one is marked fuzzy and keeps its old translation with the English it
translated (`#| msgid`), a removed one becomes obsolete. After translating, remove the `fuzzy`
flag. `tests/unit/test_i18n.py` fails while `status` would list anything, and when a
translation's placeholders (`{name}`) differ from the English ones. Write placeholders by name,
`_("{name} is not running").format(name=...)`, never an f-string inside `_()`.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "labkit"
LANGUAGES = {"zh": "zh_Hans_CN"}
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "ngettext": (1, 2)}


def catalog_path(language: str = "zh", root: Path = ROOT) -> Path:
    """The catalog of one language (the committed source, compiled in memory at run time)."""
    return root / "labkit" / "locale" / language / "LC_MESSAGES" / "labkit.po"


def extract(source: Path = SOURCE) -> Catalog:
    """Every marked message of the labkit package, with the places that use it."""
    template = Catalog(domain="labkit", project="labkit", charset="utf-8")
    found = extract_from_dir(str(source), method_map=[("**.py", "python")],
                             keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                             strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        where = (Path(source.name) / filename).as_posix()
        template.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return template


def load(path: Path, language: str = "zh") -> Catalog:
    """The catalog at PATH (an empty one if there is none yet)."""
    if not path.exists():
        return Catalog(locale=LANGUAGES[language], domain="labkit", project="labkit")
    with path.open("rb") as handle:
        return read_po(handle, locale=LANGUAGES[language], domain="labkit")


def save(catalog: Catalog, path: Path) -> None:
    """Write the catalog (sorted by message, so a diff shows only what changed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False  # the header; each message keeps its own flag
    catalog.project, catalog.version = "labkit", ""
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "the course's translators"
    catalog.language_team = "Chinese (zh) <CONTRIBUTING.md>"
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=True, include_previous=True,
             omit_header=False)
    path.write_bytes(buffer.getvalue())


def update(catalog: Catalog, template: Catalog) -> Catalog:
    """Merge the extracted messages into the catalog (new: empty; changed: fuzzy)."""
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    return catalog


@dataclass(frozen=True)
class Problem:
    """A message without a current translation: why ("missing", "empty", "fuzzy")."""

    message: str
    why: str


def problems(catalog: Catalog, template: Catalog) -> list[Problem]:
    """The messages of the source that the catalog does not translate currently."""
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            found.append(Problem(_text(message.id), "missing"))
        elif entry.fuzzy:
            found.append(Problem(_text(message.id), "fuzzy"))
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            found.append(Problem(_text(message.id), "empty"))
    return found


def _text(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def main(argv: list[str] | None = None) -> int:
    """`update` or `status` (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="tools/labkit_messages.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("verb", choices=["update", "status"])
    parser.add_argument("--language", default="zh", choices=sorted(LANGUAGES))
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = catalog_path(args.language, args.root)
    template = extract(args.root / "labkit")
    catalog = load(path, args.language)
    if args.verb == "update":
        save(update(catalog, template), path)
        print(f"{path.relative_to(args.root)}: {len(template)} messages")
    found = problems(catalog, template)
    for p in found:
        first = p.message.splitlines()[0] if p.message else ""
        print(f"{p.why:8} {first[:100]}")
    if found:
        print(f"{len(found)} of {len(template)} messages need a translation "
              f"({path.relative_to(args.root)}).")
        return 1 if args.verb == "status" else 0
    if args.verb == "status":
        print(f"all {len(template)} messages are translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
