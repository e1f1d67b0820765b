"""Checks over a built site, for tests/site and tests/browser: links, remote loads, page text.

Pure standard library (html.parser): a link checker that resolves every relative href/src to a
file and every `#anchor` to an id on the page it points to, a finder of anything loaded from
another host, and a page's visible text (code included, tags and markup removed).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LOADING_TAGS = {"script": "src", "link": "href", "img": "src", "iframe": "src",
                "source": "src", "video": "src", "audio": "src", "embed": "src"}
REMOTE_CSS = re.compile(r"@import\s+(url\()?\s*['\"]?(https?:)?//|url\(\s*['\"]?(https?:)?//"
                        r"|//cdn", re.IGNORECASE)


@dataclass
class Parsed:
    """What one HTML page holds: its ids, its links (tag, attribute, value) and its text."""

    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str, str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = Parsed()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("id", "name"):
            if values.get(name) and (name == "id" or tag == "a"):
                self.found.ids.add(values[name])
        for name in ("href", "src"):
            if name in values:
                self.found.links.append((tag, name, values[name]))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.text.append(data)


def parse(page: Path) -> Parsed:
    """Parse one HTML file."""
    parser = _Parser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def page_text(page: Path) -> str:
    """The page's text as a reader sees it (code included), whitespace kept."""
    return html.unescape("".join(parse(page).text))


def broken_links(site: Path) -> list[str]:
    """Every relative href/src of every page that names a missing file or a missing #anchor.

    Links to other hosts and `mailto:`/`javascript:`/`data:` are not followed (see
    `remote_loads` for what a page loads).
    """
    pages = {path.resolve(): parse(path) for path in site.rglob("*.html")}
    broken: list[str] = []
    for path, parsed in pages.items():
        for tag, attribute, value in parsed.links:
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or not value:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            where = f"{path.relative_to(site.resolve())}: <{tag} {attribute}={value!r}>"
            if not target.is_file():
                broken.append(f"{where}: no file {target}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where}: no id {parts.fragment!r}")
    return broken


def remote_loads(site: Path) -> list[str]:
    """Everything a page would load from another host: script/link/img/iframe... src or href
    with a scheme or `//`, and CSS that imports or points at a URL on another host."""
    found: list[str] = []
    for path in site.rglob("*.html"):
        for tag, attribute, value in parse(path).links:
            if tag in LOADING_TAGS and LOADING_TAGS[tag] == attribute:
                parts = urlsplit(value)
                if parts.netloc or parts.scheme in ("http", "https"):
                    found.append(f"{path.relative_to(site)}: <{tag} {attribute}={value!r}>")
        for style in re.findall(r"<style[^>]*>(.*?)</style>", path.read_text(encoding="utf-8"),
                                re.DOTALL):
            if REMOTE_CSS.search(style):
                found.append(f"{path.relative_to(site)}: <style> loads from another host")
    for path in site.rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8", errors="replace"),
                      flags=re.DOTALL)
        for match in REMOTE_CSS.finditer(text):
            found.append(f"{path.relative_to(site)}: {text[match.start():match.start() + 60]!r}")
    return found
