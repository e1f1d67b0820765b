"""Run a notebook top to bottom in a fresh kernel and store its outputs (for authors).

    python tools/execute_notebook.py notebooks/03-networking.ipynb

The stored outputs are what nbval compares against, so always save them from a clean run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 900) -> None:
    """Execute `path` in place with the current environment's python3 kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        execute(Path(arg))
        print(f"executed and saved {arg}")
