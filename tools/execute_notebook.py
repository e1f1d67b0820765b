"""Run a notebook top to bottom in a fresh kernel and store its outputs (for authors).

    python tools/execute_notebook.py notebooks/03-networking.ipynb

The stored outputs are what nbval compares against, so always save them from a clean run.
The engine they were recorded on is written into the notebook's metadata
(`metadata.labkit.recorded_on`): the notebook tests are strict on an engine of that kind.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat
from nbclient import NotebookClient

from tests.notebooks.strictness import describe, live_profile


def execute(path: Path, timeout: int = 900) -> dict[str, str]:
    """Execute `path` in place with the current environment's python3 kernel.

    Returns:
        The engine profile the outputs were recorded on.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    profile = live_profile()
    client.execute()
    nb.metadata.setdefault("labkit", {})["recorded_on"] = profile
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return profile


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        profile = execute(Path(arg))
        print(f"executed and saved {arg} (recorded on {describe(profile)})")
