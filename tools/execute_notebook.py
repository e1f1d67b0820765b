"""Run a notebook top to bottom in a fresh kernel and store its outputs (for authors).

    python tools/execute_notebook.py notebooks/*.ipynb

The stored outputs are what nbval compares against, so always save them from one clean run of
every notebook, in order, on a fresh reference machine: then the course images each chapter
shows (their digests, their layers) are the same images. The engine they were recorded on is
written into each notebook's metadata (`metadata.labkit.recorded_on`): the notebook tests are
strict on an engine of that kind. So is the run (`metadata.labkit.recording_run`, the time it
started), which tests/unit/test_notebook_hygiene.py requires to be one for all notebooks.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nbformat
from nbclient import NotebookClient

from labkit.recording.strictness import describe, live_profile


def execute(path: Path, run: str, timeout: int = 900) -> dict[str, str]:
    """Execute `path` in place with the current environment's python3 kernel.

    Args:
        path: the notebook.
        run: the recording run it belongs to (when the run started, UTC).

    Returns:
        The engine profile the outputs were recorded on.
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    profile = live_profile()
    client.execute()
    nb.metadata.setdefault("labkit", {})["recorded_on"] = profile
    nb.metadata["labkit"]["recording_run"] = run
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return profile


if __name__ == "__main__":
    if not sys.argv[1:] or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if sys.argv[1:] else 2)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for arg in sys.argv[1:]:
        profile = execute(Path(arg), started)
        print(f"executed and saved {arg} (recorded on {describe(profile)})")
