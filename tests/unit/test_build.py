"""labkit.images.build without an engine: the extra names a build gives its image, and the
step images a classic build leaves on the containerd image store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labkit.images import build

from .fakes import FakeClient, FakeMachine, info


def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    return tmp_path


def engine(machine: FakeMachine, **extra: Any) -> FakeClient:
    """The machine's engine; its builds make an untagged step image below the new image."""
    machine.with_tools("docker", "iptables")
    fake = machine.engine = FakeClient(info(**extra))
    base = fake.images.put("labkit/busybox")

    def builds(**kwargs: Any) -> list[dict[str, Any]]:
        step = fake.images.put(None, attrs={"Parent": base.id})
        made = fake.images.put(kwargs["tag"], attrs={"Parent": step.id})
        return [{"stream": "Step 1/2 : FROM labkit/busybox\n"}, {"stream": "Step 2/2 : RUN x\n"},
                {"aux": {"ID": made.id}}]

    fake.api.build_stream = builds
    return fake


def test_extra_tags_are_split_after_the_registry_port(machine: FakeMachine,
                                                      tmp_path: Path) -> None:
    fake = engine(machine)
    result = build.build_image(context(tmp_path),
                               ["app:v1", "127.0.0.1:5000/app:v1", "127.0.0.1:5000/app"])
    image = fake.images.get("app:v1")
    assert result.image_id == image.id and result.tags[0] == "app:v1"
    assert image.tagged == [("127.0.0.1:5000/app", "v1"), ("127.0.0.1:5000/app", None)]
    assert result.log == ("Step 1/2 : FROM labkit/busybox", "Step 2/2 : RUN x")
    assert result.context_bytes > 0
    assert fake.api.builds[0]["tag"] == "app:v1" and fake.api.builds[0]["network_mode"] == "none"
    assert fake.images.removed == []  # the graphdriver store keeps step images hidden


def test_step_images_are_removed_on_the_containerd_store(machine: FakeMachine,
                                                         tmp_path: Path) -> None:
    fake = engine(machine, Driver="overlayfs",
                  DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]])
    result = build.build_image(context(tmp_path), "app:v1")
    step = fake.images.get(result.image_id).attrs["Parent"]
    assert fake.images.removed == [step]
    assert {i.tags[0] for i in fake.images.list()} == {"labkit/busybox:latest", "app:v1"}
