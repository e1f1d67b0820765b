"""02 section 3.6 on the real engine: overlay2's folders, on the learner's engine or a lesson's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labkit.base import procfs
from labkit.base.facts import facts
from labkit.lab.session import Lab
from labkit.storage import lesson_overlay2

pytestmark = pytest.mark.engine


def test_overlay2_folders_live_on_either_store(lab: Lab, box, capsys) -> None:
    stack = lesson_overlay2.start(lab, box)
    stack.save("labkit/busybox")
    stack.load()
    stack.run(["sleep", "300"])
    lesson_engine = facts().containerd_store or facts().storage_driver != "overlay2"
    assert (stack.engine is not None) == lesson_engine
    if stack.engine is not None:
        assert stack.engine.client.info()["Driver"] == "overlay2"
        assert str(stack.data_root).startswith(str(stack.engine.root))
        # Its data root is the tmpfs the lesson mounted (images unpack in memory).
        here = os.path.realpath(stack.data_root)
        assert [m.fstype for m in procfs.parse_mountinfo(Path("/proc/self/mountinfo").read_text())
                if m.mount_point == here] == ["tmpfs"]
    stack.inspect()
    assert "folders from `GraphDriver.Data`" in capsys.readouterr().out
    gd = stack.graphdriver()
    assert Path(gd.upper_dir).is_relative_to(stack.data_root / "overlay2")
    assert Path(gd.lower_dirs[0]).parent.name.endswith("-init")
    assert "/.dockerenv" in stack.init_files()
    frame = stack.folders()
    assert list(frame["role"])[:2] == ["container (UpperDir)", "init"]
    assert stack.write_upper("from-host.txt", "hi") == "hi\n"
    engine = stack.engine
    stack.stop()
    if engine is not None:
        assert not any(engine.leftovers().values())
        box.reload()
        assert box.status == "running"  # the learner's engine and its container are untouched
