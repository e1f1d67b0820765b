"""Lab.release, Lab.forget and Lab.made: one resource before the end, through the Lab only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labkit.lab import cleanup
from labkit.lab import session as lab_mod


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> lab_mod.Lab:
    monkeypatch.setenv("LABKIT_STATE_DIR", str(tmp_path))
    return lab_mod.Lab("99")


def test_release_undoes_and_forgets_only_the_match(lab: lab_mod.Lab,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    undone: list[dict[str, Any]] = []
    monkeypatch.setitem(cleanup.UNDO, "iptables", undone.append)
    keep = ["-s", "10.0.0.1/32", "-j", "RETURN"]
    drop = ["-s", "10.0.0.2/32", "-j", "RETURN"]
    for rule in (keep, drop):
        lab.ledger.add("iptables", table="nat", chain="POSTROUTING", rule=rule)
    assert lab.release("iptables", table="nat", rule=drop) == 1
    assert [e["rule"] for e in undone] == [drop]
    assert [e["rule"] for e in lab.made("iptables")] == [keep]


def test_forget_drops_the_record_without_undoing(lab: lab_mod.Lab,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cleanup.UNDO, "process", lambda e: pytest.fail("nothing is undone"))
    lab.ledger.add("process", pid=123, start="1")
    assert lab.forget("process", pid=456) == 0
    assert lab.forget("process", pid=123) == 1
    assert lab.made("process") == []


def test_made_returns_copies_and_unknown_kinds_are_refused(lab: lab_mod.Lab) -> None:
    lab.ledger.add("tag", ref="a:1", image_id="sha256:x")
    lab.made("tag")[0]["ref"] = "changed"
    assert lab.made("tag") == [{"kind": "tag", "ref": "a:1", "image_id": "sha256:x"}]
    with pytest.raises(ValueError):
        lab.release("volcano")
