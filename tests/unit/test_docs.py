"""Documentation tests: public names are used or documented; every CLI command has help."""

from __future__ import annotations

import argparse
import functools
import re
from pathlib import Path

import pytest

import labkit
from labkit.cli import commands as cli

from . import name_uses

ONE_CELL_REPORT = pytest.StashKey[list[tuple[str, int, int]]]()

ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> str:
    parts = [p.read_text() for p in ROOT.glob("notebooks/*.ipynb")]
    parts += [(ROOT / name).read_text() for name in ("README.md", "CONTRIBUTING.md")]
    return "\n".join(parts)


@pytest.mark.parametrize("name", [n for n in labkit.__all__ if not n.startswith("__")])
def test_every_public_name_is_used_or_documented(name: str) -> None:
    assert re.search(rf"labkit\.{name}\b", _corpus()), (
        f"labkit.{name} is neither used by a notebook nor documented")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_cli_command_has_help_text() -> None:
    parser = cli.parser()
    helps = {a.dest: a.help for a in _subcommands(parser) and
             next(x for x in parser._actions
                  if isinstance(x, argparse._SubParsersAction))._choices_actions}
    assert set(helps) == set(_subcommands(parser))
    assert all(text and len(text) > 10 for text in helps.values())
    for name, sub in _subcommands(parser).items():
        assert sub.description, f"`labkit {name}` has no description"


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in _subcommands(cli.parser()):
        assert f"labkit {name}" in readme


def test_public_functions_have_docstrings() -> None:
    import importlib
    import inspect
    import pkgutil

    missing = []
    for info in pkgutil.walk_packages(labkit.__path__, "labkit."):
        if info.name == "labkit.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                if not inspect.getdoc(obj):
                    missing.append(f"{info.name}.{name}")
    assert missing == []


CHAPTER_PACKAGES = ("building", "storage", "networking", "namespaces", "lessons")
CHAPTER_MODULES = sorted(p for pkg in CHAPTER_PACKAGES for p in (ROOT / "labkit" / pkg).glob("*.py")
                         if p.name != "__init__.py")


@functools.cache
def _uses_by_source() -> tuple[tuple[str, frozenset[tuple[str, str]]], ...]:
    """For every notebook and labkit module: its name, and the (module, name) pairs it uses."""
    found = [(p.name, name_uses.used_names(name_uses.notebook_source(p)))
             for p in ROOT.glob("notebooks/*.ipynb")]
    found += [(name_uses.module_name(p), name_uses.used_names(p.read_text()))
              for p in (ROOT / "labkit").rglob("*.py")]
    return tuple((where, frozenset(uses)) for where, uses in found)


def _outside_uses(module: str) -> set[str]:
    """Names of MODULE used by a notebook or another labkit module, or documented as `m.name`."""
    used = {name for where, uses in _uses_by_source() if where != module
            for mod, name in uses if mod == module}
    docs = "\n".join((ROOT / name).read_text() for name in ("README.md", "CONTRIBUTING.md"))
    short = module.rsplit(".", 1)[1]
    return used | set(re.findall(rf"\b{short}\.(\w+)", docs))


def test_the_use_finder_sees_what_notebooks_and_modules_use() -> None:
    uses = dict(_uses_by_source())
    # `from labkit.networking import topology` in one cell, `topology.draw(...)` in a later one
    assert ("labkit.networking.topology", "draw") in uses["03-networking.ipynb"]
    ch02 = uses["02b-image-anatomy-and-the-wire.ipynb"]
    assert ("labkit.lessons.registry", "start_registry") in ch02  # imported by name
    assert ("labkit.base.host", "host") in uses["labkit.networking.nat"]
    source = "def a():\n    return b()\ndef b():\n    return 1\ndef c():\n    return 2\n"
    assert name_uses.reachable(source, {"a"}) == {"a", "b"}


@pytest.mark.parametrize("path", CHAPTER_MODULES, ids=lambda p: name_uses.module_name(p))
def test_chapter_public_names_are_used_or_documented(path: Path) -> None:
    # Used directly, or as a building block (a parser, a judge, a result type) of a used name.
    module = name_uses.module_name(path)
    reached = name_uses.reachable(path.read_text(), _outside_uses(module))
    public = set(name_uses.public_names(path))
    unused = sorted(public - reached)
    assert unused == [], (
        f"{module}: {', '.join(unused)} used by no notebook and no other labkit module, "
        f"and not documented (make it private, or delete it)")



def _floors() -> dict[str, set[str]]:
    """CONTRIBUTING.md's floors table: folder -> the folders it may import (itself included)."""
    text = (ROOT / "CONTRIBUTING.md").read_text().split("## labkit's floors\n", 1)[1]
    floors = {}
    for row in text.split("\n## ", 1)[0].splitlines():
        if row.startswith("| `labkit/"):
            cells = [c.strip() for c in row.strip("|").split("|")]
            for folder in re.findall(r"`(?:labkit/)?(\w+)/`", cells[0]):
                floors[folder] = {folder, *re.findall(r"\b(base|images|lab|lessons)\b", cells[-1])}
    return floors


def test_contributing_floors_are_the_imports_labkit_makes() -> None:
    floors = _floors()
    folders = {p.parent.name for p in (ROOT / "labkit").glob("*/__init__.py")}
    assert set(floors) == folders - {"assets"}
    assert floors["building"] == {"building", "base", "images", "lab", "lessons"}
    wrong = []
    for path in sorted((ROOT / "labkit").glob("*/*.py")):
        folder = path.parent.name
        for module, _ in name_uses.used_names(path.read_text()):
            parts = module.split(".")
            if parts[0] == "labkit" and len(parts) > 1 and parts[1] not in floors[folder]:
                wrong.append(f"{name_uses.module_name(path)} imports {module}")
    assert wrong == []


# Presentation helpers (a table, a note, an explanation) that one cell uses live in the
# chapter's views module: the lesson packages keep what several cells or modules build on.
PRESENTATION = re.compile(r"(_frame|_note|_table|_summary)$|^(explain_\w+|describe)$")


def _one_cell_names() -> dict[str, list[str]]:
    """Per chapter ("01", "02b", ...): the public names of labkit's chapter modules that exactly
    one notebook cell uses and no other labkit module, as `module.name`."""
    cells: dict[tuple[str, str], set[tuple[str, int]]] = {}
    for nb in sorted(ROOT.glob("notebooks/[0-9][0-9]*-*.ipynb")):
        chapter = nb.stem.split("-", 1)[0]
        for i, uses in enumerate(name_uses.cell_uses(nb)):
            for pair in uses:
                cells.setdefault(pair, set()).add((chapter, i))
    in_labkit = {pair for where, uses in _uses_by_source() if where.startswith("labkit")
                 for pair in uses if pair[0] != where}
    found: dict[str, list[str]] = {}
    for path in CHAPTER_MODULES:
        module = name_uses.module_name(path)
        for name in name_uses.public_names(path):
            users = cells.get((module, name), set())
            if len(users) == 1 and (module, name) not in in_labkit:
                chapter = next(iter(users))[0]
                found.setdefault(chapter, []).append(f"{module.removeprefix('labkit.')}.{name}")
    return found


def test_one_cell_presentation_helpers_live_in_their_chapter_views(
        request: pytest.FixtureRequest) -> None:
    found = _one_cell_names()
    rows = [(chapter, len(names), sum(n.split(".")[1].startswith("views") for n in names))
            for chapter, names in sorted(found.items())]
    request.config.stash[ONE_CELL_REPORT] = rows  # printed after the run (conftest.py)
    misplaced = [name for names in found.values() for name in names
                 if PRESENTATION.search(name.rsplit(".", 1)[1])
                 and not name.split(".")[1].startswith("views")]
    assert misplaced == [], (
        f"presentation helpers one cell uses, outside the chapter's views module: {misplaced}")


def test_the_one_cell_finder_counts_cells_not_notebooks() -> None:
    pair = ("labkit.lessons.registry", "start_registry")
    for chapter in ("01-building-images", "02b-image-anatomy-and-the-wire"):
        uses = name_uses.cell_uses(ROOT / f"notebooks/{chapter}.ipynb")
        assert sum(pair in u for u in uses) == 1  # one cell each, by `registry.start_registry`
    found = _one_cell_names()
    assert all(re.fullmatch(r"\d\d[a-z]?", chapter) for chapter in found)
    assert not any("registry.start_registry" in names for names in found.values())
