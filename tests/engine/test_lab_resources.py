"""The choke point against the real engine: labels, names, loopback ports, cleanup."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import docker
import pytest

from labkit.base import labels, procfs
from labkit.base.engine import client
from labkit.base.errors import LabkitError, UnknownImage
from labkit.lab import cleanup
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine
LEARNER = {"learner.owns": "yes"}


def test_containers_carry_the_lesson_labels_and_publish_on_loopback(lab: Lab) -> None:
    box = lab.run("labkit/busybox", ["sleep", "60"], name="t-labels", flags=["-p", "127.0.0.1::80"])
    assert {box.labels[k] for k in (labels.COURSE, labels.CHAPTER, labels.SESSION)} == {
        labels.COURSE_VALUE, "99", lab.session}
    binding = box.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]
    assert binding["HostIp"] == "127.0.0.1" and int(binding["HostPort"]) > 0
    assert box.attrs["HostConfig"]["Dns"] == ["127.0.0.1"]


def test_publish_all_needs_a_loopback_network(lab: Lab) -> None:
    with pytest.raises(LabkitError, match="every interface"):
        lab.run("labkit/busybox", ["sleep", "60"], flags=["-P"])
    net = lab.network("t-loopback", host_binding="127.0.0.1")
    web = lab.run("labkit/nginx:1.22.1", name="t-publish-all", flags=["--network", net.name, "-P"])
    assert web.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostIp"] == "127.0.0.1"


def test_a_learners_names_are_left_alone(lab: Lab) -> None:
    c = client()
    mine = c.containers.run("labkit/busybox", ["sleep", "300"], name="t-web", detach=True,
                            labels=LEARNER)
    net = c.networks.create("t-net", labels=LEARNER)
    try:
        box = lab.run("labkit/busybox", ["sleep", "60"], name="t-web")
        lesson_net = lab.network("t-net")
        assert box.name == f"t-web-{lab.session}"
        assert lesson_net.name == f"t-net-{lab.session}"
        lab.cleanup()
        mine.reload()
        assert mine.status == "running" and c.networks.get(net.id).name == "t-net"
    finally:
        mine.remove(force=True)
        net.remove()


def test_running_a_cell_twice_replaces_our_own_container(lab: Lab) -> None:
    first = lab.run("labkit/busybox", ["sleep", "60"], name="t-twice")
    second = lab.run("labkit/busybox", ["sleep", "60"], name="t-twice")
    assert second.name == "t-twice" and second.id != first.id
    with pytest.raises(docker.errors.NotFound):
        client().containers.get(first.id)


def test_auto_subnets_come_from_the_course_pool_and_do_not_collide(lab: Lab) -> None:
    a = lab.network("t-net-a", subnet="auto")
    b = lab.network("t-net-b", subnet="auto")
    sa, sb = (n.attrs["IPAM"]["Config"][0]["Subnet"] for n in (a, b))
    assert sa.startswith("10.213.") and sb.startswith("10.213.") and sa != sb


def test_unknown_images_are_never_pulled(lab: Lab) -> None:
    with pytest.raises(UnknownImage) as info:
        lab.run("labkit/ngnix:1.22.1")
    assert "labkit/nginx:1.22.1" in info.value.hint


def test_build_reports_the_context_it_sent_without_what_is_ignored(lab: Lab) -> None:
    from labkit.images.build import context_tar

    ctx = lab.workdir("ctx")
    (ctx / "Dockerfile").write_text("FROM labkit/busybox\nCOPY keep.txt /keep.txt\n")
    (ctx / "keep.txt").write_text("kept\n")
    (ctx / "big.bin").write_bytes(b"x" * 200_000)
    (ctx / ".dockerignore").write_text("big.bin\n")
    result = lab.build(ctx, "t-build:1")
    # The CLI's tar and the SDK's differ only in padding (the SDK pads to 10 kB records).
    sdk_tar = len(context_tar(ctx)[0])
    assert result.context_bytes is not None and sdk_tar < 200_000
    assert abs(result.context_bytes - sdk_tar) <= 10_240
    assert any("Successfully built" in line for line in result.log.lines)
    assert "t-build:1" in client().images.get(result.image_id).tags
    lab.cleanup()
    with pytest.raises(docker.errors.ImageNotFound):
        client().images.get("t-build:1")


CRASHING_KERNEL = textwrap.dedent("""
    import os, signal
    from labkit.lab.session import Lab
    lab = Lab("98")
    lab.run("labkit/busybox", ["sleep", "300"], name="t-crash")
    lab.network("t-crash-net")
    lab.netns("t-crash-ns")
    lab.veth("t-crash-a", "t-crash-b")
    (lab.workdir("files") / "note").write_text("x")
    lab.spawn(["sleep", "300"])
    print(lab.session, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_clean_removes_what_a_killed_kernel_left_and_nothing_else() -> None:
    c = client()
    mine = c.containers.run("labkit/busybox", ["sleep", "300"], name="t-learner", detach=True,
                            labels=LEARNER)
    try:
        proc = subprocess.run([sys.executable, "-c", CRASHING_KERNEL], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        session = proc.stdout.split()[-1]  # printed after the docker lines the Lab showed
        assert c.containers.list(filters={"label": f"{labels.SESSION}={session}"})
        assert Path("/var/run/netns/t-crash-ns").exists()
        counts = cleanup.clean("98")
        assert counts["container"] == 1 and counts["network"] == 1
        assert counts["netns"] == 1 and counts["link"] == 1 and counts["process"] == 1
        assert not Path("/var/run/netns/t-crash-ns").exists()
        assert not Path("/sys/class/net/t-crash-a").exists()
        assert not (cleanup.work_root() / session).exists()
        mine.reload()
        assert mine.status == "running"
    finally:
        mine.remove(force=True)


def test_start_removes_leftovers_of_a_crashed_run_of_the_same_chapter() -> None:
    proc = subprocess.run([sys.executable, "-c", CRASHING_KERNEL], capture_output=True,
                          text=True, check=False)
    session = proc.stdout.split()[-1]  # printed after the docker lines the Lab showed
    from labkit.lab.start import start

    lab = start("98")
    try:
        assert not client().containers.list(
            all=True, filters={"label": f"{labels.SESSION}={session}"})
        assert not Path("/var/run/netns/t-crash-ns").exists()
    finally:
        lab.cleanup()


def test_cleanup_stops_only_the_process_it_started(lab: Lab) -> None:
    proc = lab.spawn(["sleep", "300"])
    other = subprocess.Popen(["sleep", "300"])
    try:
        lab.cleanup()
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert proc.poll() is not None and other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_ledger_is_gone_after_cleanup(lab: Lab) -> None:
    lab.netns("t-ledger")
    assert lab.ledger.path.exists()
    lab.cleanup()
    assert not lab.ledger.path.exists()
    assert os.path.exists("/var/run/netns") and not Path("/var/run/netns/t-ledger").exists()


def test_cleanup_unmounts_files_and_folders_inside_a_lesson_folder(lab: Lab) -> None:
    folder = lab.workdir("mounts")
    (folder / "dir").mkdir()
    (folder / "file").write_text("")
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(folder / "dir")], check=True)
    subprocess.run(["mount", "--bind", "/etc/hostname", str(folder / "file")], check=True)
    assert procfs.mounted(str(folder / "file")) and procfs.mounted(str(folder / "dir"))
    lab.cleanup()
    assert not folder.exists()
    assert not any(m.startswith(str(folder)) for m in procfs.mount_points())
