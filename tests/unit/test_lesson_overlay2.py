"""labkit.lessons.dockerd and labkit.storage.lesson_overlay2 without an engine (02, 3.6)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.lessons import dockerd
from labkit.storage import lesson_overlay2
from labkit.storage.lesson_overlay2 import Overlay2Stack

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer, info
from .fakes.host import FakeHost
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes


def test_the_lesson_engine_keeps_every_folder_and_socket_of_its_own(tmp_path: Path) -> None:
    argv = dockerd.dockerd_argv(tmp_path, tmp_path / "daemon.json", tmp_path / "c.sock",
                                lesson_overlay2.OVERLAY2_ARGS)
    paths = [a for a in argv if "/" in a]
    assert all(str(tmp_path) in a for a in paths)
    assert argv[argv.index("--data-root") + 1] == str(tmp_path / "data")
    assert argv[argv.index("--storage-driver") + 1] == "overlay2"
    assert {"--bridge", "none", "--iptables=false"} <= set(argv)
    assert lesson_overlay2.OVERLAY2_CONFIG == {"features": {"containerd-snapshotter": False}}


def test_an_old_dockerd_keeps_its_key_in_the_lesson_folder(tmp_path: Path) -> None:
    assert dockerd.daemon_config(tmp_path, 20, key_exists=False) == {
        "shutdown-timeout": 2, "deprecated-key-path": str(tmp_path / "key.json")}
    assert dockerd.daemon_config(tmp_path, 20, key_exists=True) == {"shutdown-timeout": 2}
    # A newer dockerd neither writes the key nor knows the setting.
    assert dockerd.daemon_config(tmp_path, 29, key_exists=False) == {"shutdown-timeout": 2}


@pytest.mark.parametrize(("out", "major"), [
    ("Docker version 20.10.24+dfsg1, build 5d6db84\n", 20),
    ("Docker version 27.3.1, build 41ca978\n", 27), ("", 0), ("weird", 0)])
def test_dockerd_major(fakes: Callable[..., Fakes], out: str, major: int) -> None:
    host = fakes(host=FakeHost({("dockerd", "--version"): out}, strict=True)).host
    assert dockerd.dockerd_major() == major
    assert host.calls == [("dockerd", "--version")]


def test_a_data_root_in_memory_is_a_tmpfs_mount_the_lab_records_and_shows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mounted: list[tuple[list[str], Path]] = []

    class Lab:
        def mount(self, argv: list[str], target: Path) -> None:
            mounted.append((list(argv), target))

    dockerd.mount_tmpfs(Lab(), tmp_path / "data")  # type: ignore[arg-type]
    [(argv, target)] = mounted
    assert target == tmp_path / "data" and target.is_dir()
    assert argv[:3] == ["mount", "-t", "tmpfs"] and argv[-1] == str(target)
    assert "size=2g" in argv[argv.index("-o") + 1]
    assert capsys.readouterr().out.startswith("$ mount -t tmpfs -o mode=0711,size=2g ")


def test_mounts_below_lists_only_the_engines_deepest_first(tmp_path: Path) -> None:
    root = tmp_path / "e"
    mountinfo = "".join(f"{n} 1 0:{n} / {p} rw - overlay overlay rw\n" for n, p in enumerate(
        [f"{root}/data/overlay2/abc/merged", f"{root}", "/var/lib/docker/overlay2/x/merged",
         f"{tmp_path}/elsewhere", f"{root}2"], start=30))
    assert dockerd.mounts_below(root, mountinfo) == [f"{root}/data/overlay2/abc/merged",
                                                      str(root)]
    assert dockerd.mounts_below(tmp_path / "none", mountinfo) == []


def test_leftovers_of_a_stopped_engine_are_empty(tmp_path: Path) -> None:
    engine = dockerd.LessonEngine(lab=None, netns="no-such-netns-xyz",  # type: ignore[arg-type]
                                  root=tmp_path / "gone", config_file=tmp_path / "d.json",
                                  argv=[], pids={"dockerd": 2 ** 22 + 1},
                                  started={"dockerd": "1"})
    assert engine.leftovers() == {"processes": [], "mounts": [], "netns": False,
                                  "folder": False}
    (tmp_path / "gone").mkdir()
    assert engine.leftovers()["folder"] is True


@pytest.fixture
def stack(tmp_path: Path) -> Overlay2Stack:
    """A container on an overlay2 engine whose data root is TMP_PATH: image layer, -init, own."""
    ov = tmp_path / "overlay2"
    a, b, c = "a" * 64, "b" * 64 + "-init", "c" * 64
    for folder, files in {a: ["etc/passwd", "bin/sh"],
                          b: [".dockerenv", "etc/hosts", "etc/resolv.conf"],
                          c: []}.items():
        (ov / folder / "diff").mkdir(parents=True)
        for name in files:
            (ov / folder / "diff" / name).parent.mkdir(parents=True, exist_ok=True)
            (ov / folder / "diff" / name).write_text("")
    box = FakeContainer("redis7-overlay2", exec_answer=lambda argv: (
        0, (ov / c / "diff" / argv[1].lstrip("/")).read_text()))
    box.attrs["GraphDriver"] = {"Name": "overlay2", "Data": {
        "LowerDir": f"{ov}/{b}/diff:{ov}/{a}/diff", "UpperDir": f"{ov}/{c}/diff",
        "MergedDir": f"{ov}/{c}/merged", "WorkDir": f"{ov}/{c}/work"}}
    return Overlay2Stack(box, tmp_path)


def test_folders_name_each_role_top_first(stack: Overlay2Stack) -> None:
    frame = stack.folders()
    assert list(frame["role"]) == ["container (UpperDir)", "init", "image layer 1"]
    assert list(frame[f"{stack.data_root.name}/overlay2 folder"]) == [
        "c" * 12, "b" * 12 + "-init", "a" * 12]
    assert list(frame["entries"]) == ["-", 4, 4]
    assert stack.init_files() == ["/.dockerenv", "/etc/hosts", "/etc/resolv.conf"]


def test_a_write_into_upperdir_is_read_inside(stack: Overlay2Stack, capsys,
                                             fakes: Callable[..., Fakes]) -> None:
    host = FakeHost(strict=True)
    host.answers[("sh", "-c")] = ""
    cli = CliEngine(FakeClient())
    cli.answers[("docker", "exec")] = (0, "hi\n", "")
    fakes(host=host, system=cli.system())
    assert stack.write_upper("from-host.txt", "hi") == "hi\n"
    upper = stack.container.attrs["GraphDriver"]["Data"]["UpperDir"]
    assert host.calls == [("sh", "-c", f'echo "hi" > {upper}/from-host.txt')]
    assert cli.calls[-1][0] == ["docker", "exec", "redis7-overlay2", "cat", "/from-host.txt"]
    out = capsys.readouterr().out
    assert "$ docker exec redis7-overlay2 cat /from-host.txt\nhi\n" in out
    assert stack.whose == "your engine" and stack.cli("ps") == ["docker", "ps"]


def test_a_container_with_no_graphdriver_data_is_a_labkit_error(stack: Overlay2Stack) -> None:
    del stack.container.attrs["GraphDriver"]
    stack.container.attrs["Storage"] = {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}
    with pytest.raises(LabkitError, match="gave no GraphDriver data"):
        stack.folders()


def test_stop_on_the_learners_engine_stops_nothing(stack: Overlay2Stack, capsys) -> None:
    stack.stop()
    assert capsys.readouterr().out.startswith("Nothing to stop")


def test_an_overlay2_engine_reuses_the_learners_container(
        fakes: Callable[..., Fakes], capsys) -> None:
    # strict: starting anything on the host would fail the test
    fakes(client=FakeClient(info(Driver="overlay2", DockerRootDir="/var/lib/docker")),
          system=FakeMachine().system(), host=FakeHost(strict=True))
    box = FakeContainer("redis7")
    found = lesson_overlay2.start(None, box)  # type: ignore[arg-type]
    assert found.container is box and found.engine is None
    assert found.data_root == Path("/var/lib/docker")
    assert "/var/lib/docker/overlay2" in capsys.readouterr().out
    found.save("labkit/redis:7.0")
    found.load()
    found.run()
    out = capsys.readouterr().out
    assert "Nothing to copy" in out and "Nothing to load" in out and "Nothing to run" in out
    assert found.container is box


class SavingEngine:
    """What Overlay2Stack asks of a lesson's engine: save, load_archive, cli, client."""

    def __init__(self, client: FakeClient, archive: Path) -> None:
        self.client, self.archive = client, archive
        self.calls: list[tuple[str, ...]] = []

    def save(self, image: str) -> tuple[str, Path]:
        self.calls.append(("save", image))
        return image, self.archive

    def load_archive(self, archive: Path, ref: str) -> None:
        self.calls.append(("load", str(archive), ref))

    def cli(self, *args: str) -> list[str]:
        return ["docker", "--host", "unix:///lesson/docker.sock", *args]


def test_the_lessons_engine_gets_the_image_then_runs_it(tmp_path: Path, capsys,
                                                        fakes: Callable[..., Fakes]) -> None:
    client = FakeClient()
    cli = CliEngine(client)
    box = FakeContainer("redis7-overlay2")
    cli.answers[("docker", "--host", "unix:///lesson/docker.sock", "run")] = (
        lambda argv: (client.containers.found.update({box.name: box}) or 0, box.id + "\n", ""))
    fakes(system=cli.system())
    engine = SavingEngine(client, tmp_path / "image.tar")
    stack = Overlay2Stack(None, tmp_path, engine)  # type: ignore[arg-type]
    with pytest.raises(LabkitError, match="runs no container yet"):
        stack.graphdriver()
    with pytest.raises(LabkitError, match="No image was saved"):
        stack.load()
    with pytest.raises(LabkitError, match="No image was loaded"):
        stack.run()
    stack.save("labkit/redis:7.0")
    assert stack.container is None
    stack.load()
    assert stack.container is None and cli.calls == []  # loading runs nothing yet
    stack.run()
    assert engine.calls == [("save", "labkit/redis:7.0"),
                            ("load", str(tmp_path / "image.tar"), "labkit/redis:7.0")]
    assert cli.calls[-1][0] == ["docker", "--host", "unix:///lesson/docker.sock", "run", "-d",
                                "--network", "none", "--name", "redis7-overlay2",
                                "labkit/redis:7.0"]
    assert stack.container is not None and stack.container.name == "redis7-overlay2"
    out = capsys.readouterr().out
    assert "$ docker --host unix:///lesson/docker.sock run -d --network none" in out
    assert "redis7-overlay2 running on the lesson's engine (storage driver: overlay2)" in out
    with pytest.raises(LabkitError, match="No image was saved"):
        stack.load()  # the archive is gone: a second load needs a second save

