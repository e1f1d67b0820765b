"""Platforms: ELF headers, manifest lists as tables, pulls matched to builds (no engine)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.base.errors import LabkitError
from labkit.building import platforms, views

from .fakes.client import FakeClient, FakeImage
from .fakes.host import FakeHost
from .fakes.seam import Fakes

AMD = "sha256:" + "a" * 64
ARM = "sha256:" + "b" * 64
LIST = {
    "schemaVersion": 2,
    "mediaType": platforms.MANIFEST_LIST,
    "manifests": [
        {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
         "digest": AMD, "platform": {"architecture": "amd64", "os": "linux"}},
        {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528,
         "digest": ARM, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    ],
}


def elf(tmp_path: Path, machine: int, little: bool = True) -> Path:
    head = bytearray(64)
    head[:4] = b"\x7fELF"
    head[4] = 2
    head[5] = 1 if little else 2
    head[18:20] = machine.to_bytes(2, "little" if little else "big")
    path = tmp_path / f"bin-{machine}-{little}"
    path.write_bytes(bytes(head))
    return path


@pytest.mark.parametrize("machine,arch", [(62, "amd64"), (183, "arm64"), (40, "arm"),
                                          (9999, "machine 9999")])
def test_elf_arch(tmp_path: Path, machine: int, arch: str) -> None:
    assert platforms.elf_arch(elf(tmp_path, machine)) == arch


def test_elf_arch_big_endian(tmp_path: Path) -> None:
    assert platforms.elf_arch(elf(tmp_path, 22, little=False)) == "s390x"


def test_elf_arch_refuses_a_text_file(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("#!/bin/sh\n")
    with pytest.raises(LabkitError, match="not an ELF"):
        platforms.elf_arch(tmp_path / "x")


def test_host_busybox_is_this_machines_arch() -> None:
    if not Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed")
    from labkit.images.rootfs import host_arch

    assert platforms.elf_arch("/bin/busybox") == host_arch()


def test_platform_strings() -> None:
    assert platforms.platform_string("linux", "arm64") == "linux/arm64"
    assert platforms.platform_string("linux", "arm", "v7") == "linux/arm/v7"


def test_manifest_table_names_each_platform_and_its_push() -> None:
    variants = [platforms.Variant("linux/amd64", "r/t:amd64", "sha256:1", "amd64")]
    frame = views.manifest_frame(LIST, variants, {"r/t:amd64": AMD})
    assert list(frame["platform"]) == ["linux/amd64", "linux/arm/v7"]
    assert list(frame["pushed as"]) == ["r/t:amd64", ""]
    assert list(frame["digest"]) == ["sha256:aaaaaaaaaaaa…", "sha256:bbbbbbbbbbbb…"]
    assert "pushed as" not in views.manifest_frame(LIST).columns


def test_a_single_manifest_is_not_a_list() -> None:
    single = {"schemaVersion": 2,
              "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
              "config": {}, "layers": []}
    with pytest.raises(LabkitError, match="not a manifest list"):
        views.manifest_frame(single)


def test_platforms_of() -> None:
    assert platforms.platforms_of(LIST) == ["linux/amd64", "linux/arm/v7"]
    assert platforms.platforms_of({}) == []


def test_manifest_commands_keep_their_state_in_the_given_folder() -> None:
    argv = platforms.manifest_argv("/tmp/cfg", "inspect", "--insecure", "r/t:multi")
    assert argv == ["docker", "--config", "/tmp/cfg", "manifest", "inspect", "--insecure",
                    "r/t:multi"]


def test_pull_refuses_anything_but_the_lesson_registry() -> None:
    with pytest.raises(LabkitError, match="not in the lesson's registry"):
        platforms.pull(SimpleNamespace(), "docker.io/library/nginx:1.22.1", "linux/arm64")


def test_push_and_pull_run_the_cli_lines_they_print(fakes: Callable[..., Fakes],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from .fakes.cli_engine import CliEngine

    engine = FakeClient()
    cli = CliEngine(engine)
    cli.answers[("docker", "push")] = (
        0, f"The push refers to repository [127.0.0.1:5000/tinybox]\n"
           f"amd64: digest: {AMD} size: 528\n", "")
    amd64 = {"Os": "linux", "Architecture": "amd64"}

    def pulled(argv: list[str]) -> tuple[int, str, str]:
        engine.images.store[argv[-1]] = FakeImage("sha256:1", amd64, [argv[-1]])
        return 0, f"Status: Downloaded newer image for {argv[-1]}\n", ""

    cli.answers[("docker", "pull")] = pulled
    fakes(client=engine, system=cli.system())
    recorded: list[Any] = []
    lab = SimpleNamespace(record_pulled=recorded.append)
    assert platforms.push("127.0.0.1:5000/tinybox:amd64") == AMD
    got = platforms.pull(lab, "127.0.0.1:5000/tinybox:multi")  # type: ignore[arg-type]
    platforms.pull(lab, "127.0.0.1:5000/tinybox:multi", "linux/arm64")  # type: ignore[arg-type]
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "push", "127.0.0.1:5000/tinybox:amd64"],
        ["docker", "pull", "127.0.0.1:5000/tinybox:multi"],
        ["docker", "pull", "--platform", "linux/arm64", "127.0.0.1:5000/tinybox:multi"]]
    out = capsys.readouterr().out
    assert "$ docker pull --platform linux/arm64 127.0.0.1:5000/tinybox:multi\n" in out
    assert f"amd64: digest: {AMD} size: 528" in out  # the CLI's own output, shown
    assert got["got"] == "linux/amd64" and got["image ID"] == "sha256:1"
    assert got["list digest"] == ""  # the fake's image has no repo digest of that name
    assert recorded == ["127.0.0.1:5000/tinybox:multi"] * 2
    with pytest.raises(LabkitError, match="not in the lesson's registry"):
        platforms.push("docker.io/library/busybox:latest")
    assert len(cli.calls) == 3  # refused before anything ran


def test_pulls_are_matched_to_builds_by_id() -> None:
    variants = [platforms.Variant("linux/amd64", "r/t:amd64", "sha256:1", "amd64"),
                platforms.Variant("linux/arm64", "r/t:arm64", "sha256:2", "arm64")]
    pulls = [{"asked": "linux/arm64", "image": "r/t:multi", "got": "linux/arm64",
              "image ID": "sha256:2"},
             {"asked": "linux/s390x", "image": "r/t:multi", "got": "linux/s390x",
              "image ID": "sha256:9"}]
    frame = views.pulls_frame(pulls, variants)
    assert list(frame["same image as"]) == ["r/t:arm64", "(none)"]
    assert "image ID" not in frame.columns


def test_on_the_containerd_store_a_pull_is_the_list_itself() -> None:
    variants = [platforms.Variant("linux/amd64", "r/t:amd64", "sha256:1", "amd64")]
    pulls = [{"asked": "linux/arm64", "image": "r/t:multi", "got": "linux/amd64",
              "image ID": "sha256:7", "list digest": "sha256:7"},
             {"asked": "(none)", "image": "r/t:multi", "got": "linux/amd64",
              "image ID": "sha256:1", "list digest": "sha256:7"}]
    frame = views.pulls_frame(pulls, variants)
    assert list(frame["same image as"]) == [
        "the list itself: one image, every platform pulled", "r/t:amd64"]
    assert "list digest" not in frame.columns


def test_an_arm64_image_runs_only_with_qemu_registered(fakes: Any) -> None:
    from labkit.building.platforms import BINFMT, emulation

    fakes(host=FakeHost({("cat", f"{BINFMT}/status"): "enabled\n",
                         ("cat", f"{BINFMT}/qemu-aarch64"): (1, "", "No such file")}))
    none = emulation("arm64", native="amd64")
    assert none.runs is False and "has no qemu-aarch64 entry" in none.reason
    assert emulation("amd64", native="amd64").runs
    fakes(host=FakeHost({("cat", f"{BINFMT}/status"): "enabled\n",
                         ("cat", f"{BINFMT}/qemu-aarch64"): (
        "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n")}))
    qemu = emulation("arm64", native="amd64")
    assert qemu.runs is True and "/usr/libexec/qemu-binfmt/aarch64-binfmt-P" in qemu.reason
    assert "F flag" in qemu.reason
    fakes(host=FakeHost({("cat", f"{BINFMT}/status"): "enabled\n",
                         ("cat", f"{BINFMT}/qemu-aarch64"): "disabled\n"}))
    assert emulation("arm64", native="amd64").runs is False


def test_without_the_f_flag_a_container_cannot_use_the_emulator(fakes: Any) -> None:
    from labkit.building.platforms import BINFMT, emulation

    # The kernel looks the interpreter up when a program starts, in the container's own files.
    fakes(host=FakeHost({("cat", f"{BINFMT}/status"): "enabled\n",
                         ("cat", f"{BINFMT}/qemu-aarch64"): (
        "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: OC\noffset 0\n")}))
    got = emulation("arm64", native="amd64")
    assert got.runs is False and "without the F flag" in got.reason
    assert "not in a container" in got.reason


def test_binfmt_misc_disabled_refuses_every_foreign_program(fakes: Any) -> None:
    from labkit.building.platforms import BINFMT, emulation

    fakes(host=FakeHost({("cat", f"{BINFMT}/status"): "disabled\n",
                         ("cat", f"{BINFMT}/qemu-aarch64"): (
        "enabled\ninterpreter /usr/bin/qemu-aarch64\nflags: F\n")}))
    got = emulation("arm64", native="amd64")
    assert got.runs is False and "disabled" in got.reason


def test_binfmt_misc_not_mounted_says_it_cannot_tell(fakes: Any) -> None:
    from labkit.building.platforms import emulation

    # Registrations are the kernel's: a missing mount says nothing about them.
    fakes(host=FakeHost({("cat",): (1, "", "No such file")}))
    got = emulation("arm64", native="amd64")
    assert got.runs is None and "not mounted" in got.reason
    assert "cannot read" in got.reason and "no emulator is registered" not in got.reason


def test_imagetools_reads_only_the_lessons_registry(machine: Any, capsys: Any,
                                                    fakes: Callable[..., Fakes]) -> None:
    from .fakes.client import info

    with pytest.raises(LabkitError, match="not in the lesson's registry"):
        platforms.imagetools_inspect("docker.io/library/nginx:1.22.1")
    machine.with_tools("docker", "iptables")
    machine.buildx = False
    machine.engine = FakeClient(info())
    platforms.imagetools_inspect("127.0.0.1:5000/tinybox:multi")
    assert "docker buildx is not on this machine" in capsys.readouterr().out
    machine.buildx = True
    from labkit.base import engine

    engine.reset_client()  # the engine facts are read again: buildx is here now
    machine.docker_says[("docker", "buildx", "imagetools", "inspect")] = (
        0, "Name: 127.0.0.1:5000/tinybox:multi\n")
    platforms.imagetools_inspect("127.0.0.1:5000/tinybox:multi")
    out = capsys.readouterr().out
    assert out.startswith("$ docker buildx imagetools inspect 127.0.0.1:5000/tinybox:multi\n")
    assert "Name: 127.0.0.1:5000/tinybox:multi" in out
