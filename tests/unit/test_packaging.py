"""environment.yml (conda) and pyproject.toml (pip) must name the same dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONDA_TO_PIP = {"docker-py": "docker"}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def pip_names() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
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
    assert {"jupyterlab", "nbval", "docker", "pandas", "matplotlib"} <= pip_names()


def test_python_floor_agrees() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert data["requires-python"] == ">=3.11"
    assert "python>=3.11" in (ROOT / "environment.yml").read_text()
