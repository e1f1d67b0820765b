from __future__ import annotations

from pathlib import Path

import pytest

from labkit.base import settings
from labkit.lab import cleanup, ledger


@pytest.fixture(autouse=True)
def state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(settings.STATE_VAR, str(tmp_path))
    return tmp_path


def test_entries_survive_a_reload(state: Path) -> None:
    led = ledger.Ledger("s123456", "03")
    led.add("netns", name="outside")
    led.add("link", name="out-host")
    led.add("netns", name="outside")  # recorded once
    again = ledger.Ledger.load(led.path)
    assert again is not None
    assert again.entries == [{"kind": "netns", "name": "outside"},
                             {"kind": "link", "name": "out-host"}]
    assert [x.session for x in ledger.all_ledgers()] == ["s123456"]


def test_drop_and_delete(state: Path) -> None:
    led = ledger.Ledger("s654321", "02")
    entry = led.add("dir", path="/nowhere")
    led.drop(entry)
    assert ledger.Ledger.load(led.path).entries == []
    led.delete()
    assert list(ledger.all_ledgers()) == []


def test_unreadable_ledger_is_skipped(state: Path) -> None:
    folder = ledger.sessions_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json")
    assert list(ledger.all_ledgers()) == []


def test_dirs_outside_the_lessons_folder_are_never_removed(state: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    cleanup._undo_dir({"path": str(outside)})
    assert (outside / "keep.txt").read_text() == "mine"
    inside = cleanup.work_root() / "s000000" / "x"
    inside.mkdir(parents=True)
    cleanup._undo_dir({"path": str(inside)})
    assert not inside.exists()


def test_summary_is_stable() -> None:
    from collections import Counter

    assert cleanup.summarize(Counter()) == "nothing to remove"
    assert cleanup.summarize(Counter({"network": 1, "container": 2, "netns": 1})) == (
        "removed 2 containers, 1 netns, 1 network")
