"""throwaway: its daemon.json, finding what it left mounted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import throwaway

from .fakes import FakeClient, FakeHost, Fakes


def test_config_sets_bip_and_a_quick_shutdown(tmp_path: Path) -> None:
    assert throwaway.config("192.168.1.1/24", 20, True, tmp_path) == {
        "bip": "192.168.1.1/24", "shutdown-timeout": 2}


def test_old_dockerd_without_a_key_keeps_it_in_the_lesson_folder(tmp_path: Path) -> None:
    conf = throwaway.config("192.168.1.1/24", 20, False, tmp_path)
    assert conf["deprecated-key-path"] == str(tmp_path / "key.json")
    # A newer dockerd neither writes the key nor knows the setting.
    assert "deprecated-key-path" not in throwaway.config("192.168.1.1/24", 24, False, tmp_path)


def test_bip_must_be_an_address_not_the_network(tmp_path: Path) -> None:
    with pytest.raises(LabkitError) as err:
        throwaway.config("192.168.1.0/24", 20, True, tmp_path)
    assert "192.168.1.1/24" in err.value.hint


@pytest.mark.parametrize(("out", "major"), [
    ("Docker version 20.10.24+dfsg1, build 5d6db84\n", 20),
    ("Docker version 27.3.1, build 41ca978\n", 27), ("", 0), ("weird", 0)])
def test_dockerd_major(fakes: Callable[..., Fakes], out: str, major: int) -> None:
    host = fakes(host=FakeHost({("dockerd", "--version"): out}, strict=True)).host
    assert throwaway.dockerd_major() == major
    assert host.calls == [("dockerd", "--version")]


MOUNTINFO = """\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
90 22 254:0 /t/data /lab/t/data rw - ext4 /dev/vda rw
91 22 0:4 net:[4026532] /lab/t/exec/netns/0123456789ab rw - nsfs nsfs rw
92 22 0:50 / /lab/t2 rw - tmpfs tmpfs rw
"""


def test_mounts_below_lists_deepest_first_and_nothing_next_door() -> None:
    assert throwaway.mounts_below(Path("/lab/t"), MOUNTINFO) == [
        "/lab/t/exec/netns/0123456789ab", "/lab/t/data"]
    assert throwaway.mounts_below(Path("/lab/none"), MOUNTINFO) == []


def test_leftovers_of_a_stopped_engine_are_empty(tmp_path: Path) -> None:
    engine = throwaway.Throwaway(lab=None, netns="no-such-netns-xyz",  # type: ignore[arg-type]
                                 root=tmp_path / "gone", config_file=tmp_path / "d.json",
                                 argv=[], pids={"dockerd": 2 ** 22 + 1}, started={"dockerd": "1"})
    assert engine.leftovers() == {"processes": [], "mounts": [], "netns": False,
                                  "folder": False}
    (tmp_path / "gone").mkdir()
    assert engine.leftovers()["folder"] is True


def test_load_names_an_untagged_image_latest(fakes: Callable[..., Fakes]) -> None:
    refs = ["labkit/busybox:latest", "127.0.0.1:5000/app:latest", "labkit/redis:7.0"]
    learner, inner = FakeClient(), FakeClient()  # the learner's engine, the throwaway one
    for ref in refs:
        learner.images.put(ref)
        learner.api.tars[ref] = [b"t", ref.encode()]  # `docker save` of exactly that name
        inner.images.put(ref)
    fakes(client=learner)
    engine = throwaway.Throwaway(SimpleNamespace(), "ns", Path("/x"), Path("/x/d.json"), [],
                                 _client=inner)  # type: ignore[arg-type]
    assert engine.load("labkit/busybox") == "labkit/busybox:latest"
    assert engine.load("127.0.0.1:5000/app") == "127.0.0.1:5000/app:latest"
    assert engine.load("labkit/redis:7.0") == "labkit/redis:7.0"
    assert inner.images.loaded == [b"t" + ref.encode() for ref in refs]
    assert learner.images.loaded == []
