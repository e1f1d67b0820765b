"""Lab.name, against a fake engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base import labels
from labkit.lab import names
from labkit.lab import session as lab_mod

from .fakes.client import FakeClient, FakeContainer, FakeObject
from .fakes.seam import Fakes


def _labels(session: str | None) -> dict[str, str]:
    return {labels.SESSION: session} if session else {}


@pytest.fixture
def fake(fakes: Callable[..., Fakes]) -> FakeClient:
    return fakes(client=FakeClient()).client


def test_a_free_name_is_used_as_is(fake: FakeClient) -> None:
    assert lab_mod.Lab("03", session="s0a0b0c").name("web") == "web"


def test_a_learners_name_gets_the_session_suffix(fake: FakeClient) -> None:
    learner = fake.containers.found["web"] = FakeContainer("web", running=False)
    assert lab_mod.Lab("03", session="s0a0b0c").name("web") == "web-s0a0b0c"
    assert not learner.removed


def test_our_own_earlier_object_is_replaced(fake: FakeClient) -> None:
    ours = FakeObject("net0", _labels("s0a0b0c"))
    fake.networks.items.append(ours)
    assert lab_mod.Lab("03", session="s0a0b0c").name("net0", "network") == "net0"
    assert ours.removed is True


def test_another_sessions_object_is_left_alone(fake: FakeClient) -> None:
    other = fake.containers.found["db"] = FakeContainer("db", labels=_labels("s999999"))
    assert lab_mod.Lab("03", session="s0a0b0c").name("db") == "db-s0a0b0c"
    assert not other.removed


def test_our_own_earlier_container_is_replaced(fake: FakeClient) -> None:
    ours = fake.containers.found["db"] = FakeContainer("db", labels=_labels("s0a0b0c"))
    assert lab_mod.Lab("03", session="s0a0b0c").name("db") == "db"
    assert ours.removed is True


def test_our_own_earlier_container_under_the_suffix_is_replaced(fake: FakeClient) -> None:
    """A learner owns `mysql-client`; the lesson's second client takes its first one's name."""
    learner = fake.containers.found["mysql-client"] = FakeContainer("mysql-client")
    ours = fake.containers.found["mysql-client-s0a0b0c"] = FakeContainer(
        "mysql-client-s0a0b0c", labels=_labels("s0a0b0c"))
    assert lab_mod.Lab("03", session="s0a0b0c").name("mysql-client") == "mysql-client-s0a0b0c"
    assert ours.removed is True and not learner.removed


def test_link_names_fit_the_kernel_limit(fake: FakeClient,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A link name is taken when /sys/class/net has it: this machine's, not behind the seam.
    monkeypatch.setattr(lab_mod.Lab, "_owner", lambda self, name, kind: "other")
    name = lab_mod.Lab("04", session="s0a0b0c").name("veth-host-side", "link")
    assert len(name) <= names.IFNAMSIZ and name.endswith("-s0a0b0c")


def test_a_veth_pairs_two_taken_names_stay_apart() -> None:
    # Cut to 15 characters, "t-crash-a" and "t-crash-b" once became the same name.
    a, b = (names.short_name(base, "s0a0b0c") for base in ("t-crash-a", "t-crash-b"))
    assert a != b and len(a) == len(b) == names.IFNAMSIZ
    assert a.startswith("t-cr") and a.endswith("-s0a0b0c")
    assert names.short_name("veth-x", "s0a0b0c") == "veth-x-s0a0b0c"  # short ones are whole


def test_image_names_keep_their_tag(fake: FakeClient) -> None:
    for ref in ("front-app:v1", "front-app", "127.0.0.1:5000/app", "127.0.0.1:5000/app:v1"):
        fake.images.put(ref)  # the learner's: not in the lesson's ledger
    lab = lab_mod.Lab("01", session="s0a0b0c")
    assert lab.name("front-app:v1", "image") == "front-app:v1-s0a0b0c"
    assert lab.name("front-app", "image") == "front-app:latest-s0a0b0c"
    assert lab.name("127.0.0.1:5000/app", "image") == "127.0.0.1:5000/app:latest-s0a0b0c"
    assert lab.name("127.0.0.1:5000/app:v1", "image") == "127.0.0.1:5000/app:v1-s0a0b0c"


def test_tag_records_the_full_reference_the_cli_gives(fake: FakeClient,
                                                      fakes: Callable[..., Fakes]) -> None:
    """`docker tag app 127.0.0.1:5000/app` names app:latest's image 127.0.0.1:5000/app:latest:
    the ledger holds that full reference (the port is not a tag), so cleanup removes it."""
    from .fakes.cli_engine import CliEngine

    fake.images.put("app")  # the new names are free
    cli = CliEngine(fake)
    fakes(system=cli.system())
    lab = lab_mod.Lab("02", session="s0a0b0c")
    assert lab.tag("app", "127.0.0.1:5000/app") == "127.0.0.1:5000/app"
    assert lab.tag("app", "127.0.0.1:5000/lab:app-a") == "127.0.0.1:5000/lab:app-a"
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "tag", "app", "127.0.0.1:5000/app"],
        ["docker", "tag", "app", "127.0.0.1:5000/lab:app-a"]]
    assert [e["ref"] for e in lab.made("tag")] == ["127.0.0.1:5000/app:latest",
                                                  "127.0.0.1:5000/lab:app-a"]


def test_session_tokens_have_the_sanitized_shape() -> None:
    import re

    assert re.fullmatch(r"s[0-9a-f]{6}", names.new_session())
