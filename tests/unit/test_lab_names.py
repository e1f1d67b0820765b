"""Lab.name and loopback_ports, against a fake engine."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base import labels
from labkit.base.errors import LabkitError
from labkit.lab import session as lab_mod


class FakeCollection:
    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.removed: list[str] = []

    def list(self, all: bool = False, filters: dict | None = None, names: list | None = None,
             ignore_removed: bool = False):
        return list(self.items)

    def get(self, name: str) -> Any:
        for item in self.items:
            if item.name == name:
                return item
        raise lab_mod.docker.errors.NotFound(name)


def _obj(name: str, session: str | None) -> Any:
    lbl = {labels.SESSION: session} if session else {}
    obj = SimpleNamespace(name=name, attrs={"Labels": lbl, "Config": {"Labels": lbl}})
    obj.remove = lambda **kw: obj.__dict__.setdefault("gone", True)
    return obj


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    client = SimpleNamespace(containers=FakeCollection([]), networks=FakeCollection([]),
                             volumes=FakeCollection([]))
    monkeypatch.setattr(lab_mod, "client", lambda: client)
    return client


def test_a_free_name_is_used_as_is(fake: SimpleNamespace) -> None:
    assert lab_mod.Lab("03", session="s0a0b0c").name("web") == "web"


def test_a_learners_name_gets_the_session_suffix(fake: SimpleNamespace) -> None:
    learner = _obj("web", None)
    fake.containers.items.append(learner)
    assert lab_mod.Lab("03", session="s0a0b0c").name("web") == "web-s0a0b0c"
    assert not getattr(learner, "gone", False)


def test_our_own_earlier_object_is_replaced(fake: SimpleNamespace) -> None:
    ours = _obj("net0", "s0a0b0c")
    fake.networks.items.append(ours)
    assert lab_mod.Lab("03", session="s0a0b0c").name("net0", "network") == "net0"
    assert ours.gone is True


def test_another_sessions_object_is_left_alone(fake: SimpleNamespace) -> None:
    other = _obj("db", "s999999")
    fake.containers.items.append(other)
    assert lab_mod.Lab("03", session="s0a0b0c").name("db") == "db-s0a0b0c"
    assert not getattr(other, "gone", False)


def test_link_names_fit_the_kernel_limit(fake: SimpleNamespace,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_mod.Lab, "_owner", lambda self, name, kind: "other")
    name = lab_mod.Lab("04", session="s0a0b0c").name("veth-host-side", "link")
    assert len(name) <= lab_mod.IFNAMSIZ and name.endswith("-s0a0b0c")


def test_image_names_keep_their_tag(fake: SimpleNamespace,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_mod.Lab, "_owner", lambda self, name, kind: "other")
    lab = lab_mod.Lab("01", session="s0a0b0c")
    assert lab.name("front-app:v1", "image") == "front-app:v1-s0a0b0c"
    assert lab.name("front-app", "image") == "front-app:latest-s0a0b0c"
    assert lab.name("127.0.0.1:5000/app", "image") == "127.0.0.1:5000/app:latest-s0a0b0c"
    assert lab.name("127.0.0.1:5000/app:v1", "image") == "127.0.0.1:5000/app:v1-s0a0b0c"


def test_tag_splits_the_name_after_the_registry_port(fake: SimpleNamespace,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lab_mod.Lab, "_owner", lambda self, name, kind: None)
    tagged: list[tuple[str, str]] = []
    image = SimpleNamespace(id="sha256:1", tag=lambda repo, tag: tagged.append((repo, tag)))
    fake.images = SimpleNamespace(get=lambda name: image)
    lab = lab_mod.Lab("02", session="s0a0b0c")
    added: list[dict[str, Any]] = []
    lab.ledger = SimpleNamespace(add=lambda kind, **data: added.append({"kind": kind, **data}))
    assert lab.tag("app", "127.0.0.1:5000/app") == "127.0.0.1:5000/app"
    assert lab.tag("app", "127.0.0.1:5000/lab:app-a") == "127.0.0.1:5000/lab:app-a"
    assert tagged == [("127.0.0.1:5000/app", "latest"), ("127.0.0.1:5000/lab", "app-a")]
    assert [e["ref"] for e in added] == ["127.0.0.1:5000/app:latest", "127.0.0.1:5000/lab:app-a"]


def test_session_tokens_have_the_sanitized_shape() -> None:
    import re

    assert re.fullmatch(r"s[0-9a-f]{6}", lab_mod.new_session())


@pytest.mark.parametrize("given,expected", [
    ({"80/tcp": 8080}, {"80/tcp": ("127.0.0.1", 8080)}),
    ({"80/tcp": None}, {"80/tcp": ("127.0.0.1", None)}),
    ({"80/tcp": ("127.0.0.1", 9000)}, {"80/tcp": ("127.0.0.1", 9000)}),
    (None, None),
])
def test_ports_are_published_on_loopback(given: Any, expected: Any) -> None:
    assert lab_mod.loopback_ports(given) == expected


@pytest.mark.parametrize("binding", [("0.0.0.0", 80), ("192.0.2.1", 80), [8080]])
def test_ports_on_other_addresses_are_refused(binding: Any) -> None:
    with pytest.raises(LabkitError, match="127.0.0.1"):
        lab_mod.loopback_ports({"80/tcp": binding})
