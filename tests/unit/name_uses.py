"""Which labkit names are used, and from where: read from the source (AST), nothing imported.

test_docs.py asks it whether each chapter module's public names are used by a notebook, by
another labkit module, or documented, directly or through the module's own used names.
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    """labkit/networking/topology.py -> labkit.networking.topology."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bindings(tree: ast.AST) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """What the imports in TREE bind (alias -> dotted heads), and the `from M import name`
    pairs they name."""
    bound: dict[str, set[str]] = defaultdict(set)  # several functions may reuse one alias
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                bound[a.asname or a.name.split(".")[0]].add(a.name if a.asname
                                                            else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                found.add((node.module, a.name))
                bound[a.asname or a.name].add(f"{node.module}.{a.name}")
    return bound, found


def _attribute_uses(tree: ast.AST, bound: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(module, name) pairs of the `alias.name` chains in TREE whose alias BOUND knows."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain: list[str] = []
        value: ast.expr = node
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name):
            for head in bound.get(value.id, {value.id}):
                module, _, name = ".".join([head, *reversed(chain)]).rpartition(".")
                found.add((module, name))
    return found


def used_names(source: str) -> set[tuple[str, str]]:
    """(module, name) pairs this source uses: `from M import name` and `alias.name` where the
    alias is bound by an import (`from labkit.x import m`, `import labkit.x.m as m`)."""
    tree = ast.parse(source)
    bound, found = _bindings(tree)
    return found | _attribute_uses(tree, bound)


def notebook_source(path: Path) -> str:
    """A notebook's code cells as one program (imports in one cell serve the next); IPython's
    `%magic` and `!shell` lines are blanked."""
    cells = json.loads(path.read_text())["cells"]
    lines = [("" if line.lstrip().startswith(("%", "!")) else line)
             for cell in cells if cell["cell_type"] == "code"
             for line in "".join(cell["source"]).splitlines()]
    return "\n".join(lines)


def cell_uses(path: Path) -> list[set[tuple[str, str]]]:
    """For each code cell of a notebook, the (module, name) pairs it uses: `alias.name` chains
    and names imported by `from M import name` (the notebook's imports bind them for every
    cell), the import lines themselves left out."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    sources = ["\n".join("" if line.lstrip().startswith(("%", "!")) else line
                         for line in "".join(c["source"]).splitlines()) for c in cells]
    bound, _ = _bindings(ast.parse("\n".join(sources)))
    uses = []
    for source in sources:
        tree = ast.parse(source)
        for node in ast.walk(tree):  # an import line binds a name; it is not a use
            if isinstance(node, ast.Import | ast.ImportFrom):
                node.names = []
        found = _attribute_uses(tree, bound)
        found |= {tuple(head.rsplit(".", 1)) for n in ast.walk(tree) if isinstance(n, ast.Name)
                  for head in bound.get(n.id, ()) if "." in head}
        uses.append(found)
    return uses


def _references(node: ast.AST) -> set[str]:
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    for n in ast.walk(node):  # quoted annotations: "Topology"
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            names.add(n.value)
    return names


def reachable(source: str, roots: set[str]) -> set[str]:
    """Top-level names of a module reached from ROOTS (and from its `__main__` block) through
    the names each top-level definition refers to: the building blocks of what is used."""
    tree = ast.parse(source)
    refs: dict[str, set[str]] = defaultdict(set)
    start = set(roots)
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            refs[stmt.name] |= _references(stmt)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in _references(target):
                    refs[name] |= _references(stmt)
        elif isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            start |= _references(stmt)
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(refs.get(name, ()))
    return seen


def public_names(path: Path) -> list[str]:
    """Module-level functions and classes of PATH whose names do not start with `_`."""
    return [stmt.name for stmt in ast.parse(path.read_text()).body
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and not stmt.name.startswith("_")]
