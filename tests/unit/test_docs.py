"""Documentation tests: public names are used or documented; every CLI command has help."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import labkit
from labkit.cli import commands as cli

ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> str:
    parts = [p.read_text() for p in ROOT.glob("notebooks/*.ipynb")]
    parts += [(ROOT / name).read_text() for name in ("README.md", "CONTRIBUTING.md")]
    return "\n".join(parts)


@pytest.mark.parametrize("name", [n for n in labkit.__all__ if not n.startswith("__")])
def test_every_public_name_is_used_or_documented(name: str) -> None:
    import re

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
