"""lessons.containerd: a containerd that keeps everything in the lesson folder and runs no CRI."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lessons import containerd

from .fakes.host import FakeHost
from .fakes.seam import Fakes


def test_config_keeps_everything_in_the_folder() -> None:
    conf = tomllib.loads(containerd.config_text(Path("/lab/t/containerd")))
    paths = [conf["root"], conf["state"], conf["grpc"]["address"],
             conf["plugins"]["io.containerd.internal.v1.opt"]["path"]]
    assert all(p.startswith("/lab/t/containerd/") for p in paths)
    assert conf["debug"]["address"] == "" and conf["metrics"]["address"] == ""


def test_config_turns_off_every_cri_plugin() -> None:
    conf = tomllib.loads(containerd.config_text(Path("/lab/t")))
    assert "io.containerd.grpc.v1.cri" in conf["disabled_plugins"]
    assert "io.containerd.cri.v1.runtime" in conf["disabled_plugins"]
    assert set(conf["disabled_plugins"]) == set(containerd.CRI_PLUGINS)


def test_ctr_talks_to_its_own_socket_and_namespace() -> None:
    ctrd = containerd.LessonContainerd(Path("/lab/t/c"), "ns", ("containerd",), 1)
    assert ctrd.ctr("images", "ls") == ["ctr", "--address", "/lab/t/c/containerd.sock",
                                        "--namespace", "labkit", "images", "ls"]
    assert ctrd.root == Path("/lab/t/c/root")


def test_enter_runs_in_the_lesson_netns() -> None:
    assert containerd.enter("x1") == ["nsenter", "--net=/var/run/netns/x1", "--"]


def test_a_folder_too_deep_for_a_socket_is_refused(fakes: Callable[..., Fakes]) -> None:
    fakes(host=FakeHost(), root=True)
    with pytest.raises(LabkitError) as err:
        containerd.start(None, Path("/" + "d" * 120), netns="ns")  # type: ignore[arg-type]
    assert "LABKIT_STATE_DIR" in err.value.hint
