"""The Chinese edition runs: chapter 04's Chinese student notebook, top to bottom, in Chinese.

The notebook is built here as `./course editions` builds it (tools/translations.py, then
tools/editions.py on the translated notebooks) into a temporary folder, and executed with
`LABKIT_LANG=zh` as a learner's kernel would (nbclient, as tools/execute_notebook.py does). No
cell may raise; every exercise cell's check (the placeholders are still there: a learner's
first run) must print its verdict in Chinese; and the host is left as it was.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .hoststate import settled_diff, snapshot

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = "04-namespaces.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _tool(name: str) -> ModuleType:
    """Import tools/NAME.py (not a package) by its path, once."""
    key = f"labkit_tools_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, ROOT / "tools" / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def _zh_student(out: Path) -> Path:
    """Build the Chinese student edition of every chapter under OUT; the path of chapter 04."""
    _tool("translations").build(ROOT / "notebooks", out, "zh")
    _tool("editions").build(out / "zh" / "notebooks", out / "zh")
    return out / "zh" / "student" / CHAPTER


def _text(output: nbformat.NotebookNode) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    return str(data.get("text/plain", "")) + str(data.get("text/markdown", ""))


@pytest.mark.notebooks
def test_the_chinese_student_notebook_runs_and_speaks_chinese(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _zh_student(tmp_path / "dist")
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("language") == "zh"
    monkeypatch.setenv("LABKIT_LANG", "zh")  # the kernel inherits it (`./course lab --lang zh`)
    before = snapshot()
    client = NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        subprocess.run([str(Path(sys.executable).parent / "labkit"), "clean", "--chapter", "04"],
                       check=False, capture_output=True)
        pytest.fail(f"a cell of the Chinese {CHAPTER} raised:\n{str(error)[-6000:]}")
    exercises = [cell for cell in nb.cells if "exercise" in cell.metadata.get("tags", [])]
    assert exercises, f"{CHAPTER} has no cell tagged `exercise`"
    silent = [cell.id for cell in exercises
              if not CJK.search("".join(_text(o) for o in cell.get("outputs", [])))]
    assert not silent, (f"these exercise cells printed no Chinese under LABKIT_LANG=zh: {silent}"
                        " (labkit's messages: labkit/locale/zh/LC_MESSAGES/labkit.po)")
    changes = settled_diff(before)
    assert changes == "", f"the Chinese {CHAPTER} left traces:\n{changes}"
