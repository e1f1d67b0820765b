"""Chapter 01's file listings that show the `find` they run (issue 21), and the share tool's
`--notebooks` folder: no engine, `host()` faked."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.building import dockerignore as di
from labkit.building import frontapp, views

from .fakes.host import FakeHost
from .fakes.seam import Fakes

ROOT = Path(__file__).resolve().parents[2]

# What GNU find printed for a folder, in readdir order (not sorted), as the host would.
FRONT_LISTING = ("1167\tnginx.conf\n839\tdist/assets/app.js\n337\tdist/index.html\n"
                 "202\tDockerfile\n153\tdist/assets/app.css\n")


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeHost:
    return fakes(host=FakeHost(strict=True)).host


def test_the_front_listing_is_find_as_typed(fake: FakeHost,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """01 cell 2 runs `labkit.sh(frontapp.find_argv(front))`: sizes and paths, as find prints."""
    from labkit.base.show import sh

    fake.answers[("find", "/lesson/front-app")] = FRONT_LISTING
    sh(frontapp.find_argv("/lesson/front-app"))
    assert fake.calls == [("find", "/lesson/front-app", "-type", "f", "-printf", "%s\\t%P\\n")]
    out = capsys.readouterr().out
    assert out.startswith("$ find /lesson/front-app -type f -printf '%s\\t%P\\n'\n")
    assert "839\tdist/assets/app.js" in out  # the command's own output, as it printed it


def test_rules_frame_rows_are_what_find_listed(
        fake: FakeHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = di.write_tree(tmp_path, {**di.SAMPLE_FILES, "Dockerfile": di.SAMPLE_DOCKERFILE,
                                      ".dockerignore": di.LECTURE_RULES})
    # find lists three of the files (unsorted); the table has those rows, no others.
    fake.answers[("find", str(sample))] = "secret.env\nREADME.md\n\nbuild.log\n"
    frame = views.rules_frame(sample, show=True)
    assert fake.calls == [("find", str(sample), "-type", "f", "-printf", "%P\\n")]
    assert frame["path"].tolist() == ["README.md", "build.log", "secret.env"]
    assert frame["sent"].tolist() == [True, False, False]
    assert frame["decided by"].tolist() == ["(no rule: sent)", "**/*.log", "/secret.env"]
    assert capsys.readouterr().out.startswith(f"$ find {sample} -type f -printf '%P\\n'\n")


def _notebook(folder: Path, name: str, outputs: list[str]) -> None:
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": [f"step({i})"],
              "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}]}
             for i, text in enumerate(outputs)]
    (folder / name).write_text(json.dumps({"cells": cells}))


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "shown_commands"), *args],
                          capture_output=True, text=True, check=False)


def test_shown_commands_reads_the_folder_it_is_given(tmp_path: Path) -> None:
    _notebook(tmp_path, "07-x.ipynb", ["$ ls\na\n", "just text\n", "$ cat a\n", "x $ y\n"])
    done = _tool("--notebooks", str(tmp_path), "--list", "07")
    assert done.returncode == 0, done.stderr
    assert "07-x" in done.stdout and "   4     2    50%" in done.stdout
    assert "silent: c1" in done.stdout and "silent: c3" in done.stdout
    assert "silent: c0" not in done.stdout
    assert "00-preflight" not in done.stdout  # the project's notebooks are not read


def test_shown_commands_says_what_to_do_with_a_wrong_folder(tmp_path: Path) -> None:
    missing = _tool("--notebooks", str(tmp_path / "nowhere"))
    empty = _tool("--notebooks", str(tmp_path))
    assert missing.returncode == empty.returncode == 2
    assert "is not a folder" in missing.stderr and "holds no .ipynb" in empty.stderr
    assert "Traceback" not in missing.stderr + empty.stderr
