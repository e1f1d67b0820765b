"""environment.yml (conda) and pyproject.toml (pip) must name the same dependencies; labkit's
imports are declared; the version has one source."""

from __future__ import annotations

import ast
import re
import shlex
import sys
import tomllib
from pathlib import Path

import labkit

ROOT = Path(__file__).resolve().parents[2]
CONDA_TO_PIP = {"docker-py": "docker"}
# Import name -> distribution name, where they differ.
IMPORT_TO_PIP = {"IPython": "ipython"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def pip_names() -> set[str]:
    data = _project()
    names = {_name(d) for d in data["dependencies"]}
    for extra in data.get("optional-dependencies", {}).values():
        names |= {_name(d) for d in extra}
    return names


def conda_names() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        m = re.match(r"^  - ([A-Za-z][\w.-]*)", line)
        if m and m.group(1) not in {"python", "pip"}:
            names.add(CONDA_TO_PIP.get(m.group(1).lower(), m.group(1).lower()))
    return names


def test_conda_and_pip_name_the_same_dependencies() -> None:
    assert pip_names() == conda_names()


def test_the_chosen_dependencies_are_there() -> None:
    assert {"jupyterlab", "nbval", "docker", "pandas", "matplotlib", "requests"} <= pip_names()


def test_python_floor_agrees() -> None:
    data = _project()
    assert data["requires-python"] == ">=3.11"
    assert "python>=3.11" in (ROOT / "environment.yml").read_text()


def test_labkit_declares_every_package_it_imports() -> None:
    # A package that only arrives with another one (requests with docker-py) can leave with it.
    imported = set()
    for path in (ROOT / "labkit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {IMPORT_TO_PIP.get(n, n).lower() for n in imported
                   if n not in sys.stdlib_module_names and n != "labkit"}
    assert "requests" in third_party
    runtime = {_name(d) for d in _project()["dependencies"]}
    assert third_party - runtime == set()


def test_test_tools_are_an_extra_that_course_installs() -> None:
    project = _project()
    runtime = {_name(d) for d in project["dependencies"]}
    assert {"nbval", "pytest"} & runtime == set()
    line = next(ln for ln in (ROOT / "course").read_text().splitlines()
                if "pip install" in ln and " -e " in ln)
    target = next(a for a in shlex.split(line) if a.startswith(".["))
    extras = target[2:-1].split(",")
    installed = {_name(d) for extra in extras
                 for d in project["optional-dependencies"][extra]}
    assert {"nbval", "pytest"} <= installed


def test_the_version_has_one_source() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in data["project"]
    assert "version" in data["project"]["dynamic"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "labkit.__version__"}
    # setuptools reads the attribute without importing labkit: it must be a plain literal.
    tree = ast.parse((ROOT / "labkit" / "__init__.py").read_text())
    literals = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and [getattr(t, "id", None) for t in node.targets] == ["__version__"]
                and isinstance(node.value, ast.Constant)]
    assert literals == [labkit.__version__]
    assert re.fullmatch(r"\d+\.\d+\.\d+", labkit.__version__)
