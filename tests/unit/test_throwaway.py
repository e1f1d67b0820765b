"""throwaway: its daemon.json, its bip, loading and leftovers (a LessonEngine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from labkit.base.errors import LabkitError
from labkit.lessons import dockerd
from labkit.networking import throwaway

from .fakes.client import FakeClient, FakeContainer
from .fakes.seam import Fakes


def test_daemon_json_puts_bip_first_then_a_quick_shutdown_then_the_backend(
        tmp_path: Path) -> None:
    # 03 prints the file: `bip` leads, as the lesson reads it.
    conf = dockerd.daemon_config(tmp_path, 29, True, {"firewall-backend": "nftables"},
                                 first={"bip": "192.168.1.1/24"})
    assert list(conf.items()) == [("bip", "192.168.1.1/24"), ("shutdown-timeout", 2),
                                  ("firewall-backend", "nftables")]


def test_bip_must_be_an_address_not_the_network() -> None:
    assert throwaway.check_bip("192.168.1.1/24") == "192.168.1.1/24"
    with pytest.raises(LabkitError) as err:
        throwaway.check_bip("192.168.1.0/24")
    assert "192.168.1.1/24" in err.value.hint


def test_load_names_an_untagged_image_latest(fakes: Callable[..., Fakes],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    refs = ["labkit/busybox:latest", "127.0.0.1:5000/app:latest", "labkit/redis:7.0"]
    learner, inner = FakeClient(), FakeClient()  # the learner's engine, the throwaway one
    for ref in refs:
        learner.images.put(ref)
        learner.api.tars[ref] = [b"t", ref.encode()]  # `docker save` of exactly that name
        inner.images.put(ref)
    fakes(client=learner)
    engine = throwaway.Throwaway(SimpleNamespace(), "ns", Path("/x"), Path("/x/d.json"), [],
                                 show=False, _client=inner)  # type: ignore[arg-type]
    assert engine.load("labkit/busybox") == "labkit/busybox:latest"
    assert engine.load("127.0.0.1:5000/app") == "127.0.0.1:5000/app:latest"
    assert engine.load("labkit/redis:7.0") == "labkit/redis:7.0"
    assert inner.images.loaded == [b"t" + ref.encode() for ref in refs]
    assert learner.images.loaded == []
    assert capsys.readouterr().out == ""  # 03 starts it with show=False: loads are silent
    with pytest.raises(LabkitError, match="The throwaway engine has no image 'labkit/x'"):
        engine.run("labkit/x", ["true"])  # never a pull


def test_the_nftables_backend_is_asked_for_only_where_dockerd_has_it() -> None:
    assert throwaway.backend_for(29) == "nftables"
    assert throwaway.backend_for(28) == ""


def test_a_container_address_comes_from_its_network_entry() -> None:
    box = FakeContainer("t1", networks={"bridge": {"IPAddress": "192.168.1.2",
                                                   "IPPrefixLen": 24}})
    box.attrs["NetworkSettings"].pop("IPAddress", None)  # API 1.52 has no top-level one
    assert throwaway.address(box) == "192.168.1.2"
    assert throwaway.address(box, "wp-net") == ""
