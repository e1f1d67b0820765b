"""labkit.images.build without an engine: the extra names a build gives its image, and the
step images a classic build leaves on the containerd image store."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from labkit.images import build

from .fakes.client import FakeClient, info
from .fakes.machine import FakeMachine


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


# -- the docker CLI's build: its log read into steps (labkit.images.buildlog, clibuild) ------
PLAIN = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 241B done
#1 DONE 0.0s

#3 [internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE 0.0s

#2 [internal] load metadata for docker.io/labkit/nginx:1.22.1
#2 DONE 0.0s

#4 [1/3] FROM docker.io/labkit/nginx:1.22.1
#4 DONE 0.1s

#5 [internal] load build context
#5 transferring context: 1.20kB 0.0s
#5 transferring context: 2.63kB 0.1s done
#5 DONE 0.1s

#6 [2/3] COPY dist/ /usr/local/web/
#6 CACHED

#7 [3/3] COPY nginx.conf /etc/nginx/nginx.conf
#7 DONE 0.2s

#8 exporting to image
#8 exporting layers 0.0s done
#8 writing image sha256:9dfe815c4c6c9dfe815c4c6c9dfe815c4c6c9dfe815c4c6c9dfe815c4c6c1234 done
#8 naming to docker.io/library/front-app:v1 done
#8 DONE 0.0s
"""

REF = "7f0c2a1e-3b4d-4c5e-9f60-718293a4b5c6::k3j4h5g6f7d8s9a0"
PLAIN_ERROR = f"""\
#5 [internal] load build context
#5 transferring context: 2B done
#5 DONE 0.0s

#6 [2/2] COPY ../secret.env /
#6 ERROR: failed to calculate checksum of ref {REF}: "/secret.env": not found
------
 > [2/2] COPY ../secret.env /:
------
ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref \
{REF}: "/secret.env": not found
"""

CLASSIC = """\
DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
Sending build context to Docker daemon  20.48kB
Step 1/4 : FROM labkit/nginx:1.22.1
 ---> c425d5b68708
Step 2/4 : COPY dist/ /usr/local/web/
 ---> Using cache
 ---> 7cc34eed3dff
Step 3/4 : COPY nginx.conf /etc/nginx/nginx.conf
 ---> aa1acb472308
Step 4/4 : CMD ["nginx", "-g", "daemon off;"]
 ---> Running in 126504851edc
 ---> Removed intermediate container 126504851edc
 ---> 9dfe815c4c6c
Successfully built 9dfe815c4c6c
Successfully tagged front-app:v1
"""


def test_plain_progress_becomes_steps_in_a_stable_order() -> None:
    from labkit.images import buildlog

    log = buildlog.parse_plain(PLAIN.splitlines())
    assert [s.name for s in log.steps] == [
        "[internal] load build definition from Dockerfile",
        "[internal] load metadata for docker.io/labkit/nginx:1.22.1",
        "[internal] load .dockerignore", "[internal] load build context",
        "[1/3] FROM docker.io/labkit/nginx:1.22.1", "[2/3] COPY dist/ /usr/local/web/",
        "[3/3] COPY nginx.conf /etc/nginx/nginx.conf", "exporting to image"]
    assert log.cached == ("[2/3] COPY dist/ /usr/local/web/",)
    assert log.context_bytes == 2630 and log.error == ""  # the last "transferring" counts
    frame = log.to_frame()
    assert frame.loc[3, "note"] == "sent under 10 kB" and frame.loc[2, "note"] == "sent under 10 kB"
    assert "0.1s" not in frame.to_string() and "#" not in frame.to_string()


def test_a_buildkit_error_loses_its_snapshot_ids() -> None:
    from labkit.images import buildlog

    log = buildlog.parse_plain(PLAIN_ERROR.splitlines())
    assert log.error == ('failed to solve: failed to compute cache key: failed to calculate '
                         'checksum: "/secret.env": not found')
    assert [s.status for s in log.steps] == ["DONE", "ERROR"]


def test_classic_log_becomes_steps_with_cache_and_containers() -> None:
    from labkit.images import buildlog

    log = buildlog.parse_classic(CLASSIC.splitlines())
    assert [s.status for s in log.steps] == ["DONE", "CACHED", "DONE", "DONE"]
    assert [s.container for s in log.steps] == [False, False, False, True]
    assert log.context_bytes == 20480
    assert log.to_frame().loc[3, "note"] == "ran in an intermediate container"


def test_sizes_are_rounded_to_two_digits() -> None:
    from labkit.images.buildlog import rounded_size, size_bytes

    assert [rounded_size(n) for n in (2, 2630, 41_082_880, 199, 20_480)] == [
        "under 10 kB", "under 10 kB", "41 MB", "under 10 kB", "20 kB"]
    assert size_bytes("41.08", "MB") == 41_080_000


def test_side_by_side_puts_each_builds_status_in_a_column() -> None:
    from labkit.images import buildlog

    first = buildlog.parse_plain(PLAIN.replace("#6 CACHED", "#6 DONE 0.1s").splitlines())
    again = buildlog.parse_plain(PLAIN.splitlines())
    frame = buildlog.side_by_side({"first build": first, "rebuild": again})
    row = frame[frame["step"] == "[2/3] COPY dist/ /usr/local/web/"].iloc[0]
    assert (row["first build"], row["rebuild"]) == ("DONE", "CACHED")


def cli_machine(machine: FakeMachine, *, buildx: bool, stderr: str = PLAIN,
                stdout: str = "", code: int = 0, version: str = "28.5.2") -> list[Any]:
    """The machine's docker CLI: `buildx version` answers BUILDX, a build writes its iidfile."""
    import subprocess

    from labkit.base import engine as engine_mod

    machine.with_tools("docker", "iptables")
    fake = machine.engine = FakeClient(info(), server_version=version,
                                       ping_headers={"Builder-Version": "2" if buildx else ""})
    calls: list[Any] = []

    def run(argv: Any, env: Any = None) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        calls.append((argv, env))
        if argv[1:3] == ["buildx", "version"]:
            return subprocess.CompletedProcess(argv, 0 if buildx else 1, "", "")
        if argv[1:3] == ["context", "show"]:
            return subprocess.CompletedProcess(argv, 0, "desktop-linux\n", "")
        if "--iidfile" in argv and code == 0:
            made = fake.images.put(argv[argv.index("-t") + 1])
            Path(argv[argv.index("--iidfile") + 1]).write_text(made.id)
        return subprocess.CompletedProcess(argv, code, stdout, stderr)

    system = machine.system()
    engine_mod.use_system(engine_mod.System(**{**vars(system), "run": run}))
    return calls


def test_a_buildkit_build_runs_buildx_and_is_recorded(machine: FakeMachine,
                                                      capsys: Any) -> None:
    from labkit.lab.session import Lab

    calls = cli_machine(machine, buildx=True)
    lab = Lab("01", session="s0a0b0c")
    done = lab.build("/tmp/ctx", "front-app:v1", builder="buildkit", no_cache=True)
    argv, _ = calls[-1]
    assert argv == ["docker", "buildx", "build", "--progress=plain", "--no-cache", "-t",
                    "front-app:v1", "--iidfile", argv[8], "--network", "none",
                    "--builder", "desktop-linux", "/tmp/ctx"]
    assert argv[8].endswith("/lessons/s0a0b0c/image-id/iid")  # the lesson's folder: cleanup
    printed = capsys.readouterr().out
    assert printed.startswith("$ ") and shlex.split(printed[2:].replace("\\\n", " ")) == argv
    assert done.builder == "buildkit" and done.context_bytes == 2630
    assert lab.made("image") == [{"kind": "image", "id": done.image_id,
                                  "tags": ["front-app:v1"], "session": "s0a0b0c"}]
    assert "1 from its cache" in done.summary()


def test_classic_on_a_buildkit_engine_says_docker_buildkit_0(machine: FakeMachine,
                                                            capsys: Any) -> None:
    from labkit.lab.session import Lab

    calls = cli_machine(machine, buildx=True, stdout=CLASSIC, stderr="")
    done = Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:classic",
                          builder="classic")
    argv, env = calls[-1]
    assert argv[:2] == ["docker", "build"] and env["DOCKER_BUILDKIT"] == "0"
    assert capsys.readouterr().out.startswith("$ DOCKER_BUILDKIT=0 docker build -t ")
    assert done.builder == "classic" and done.context_bytes == 20480


def test_without_buildkit_a_buildkit_cell_builds_classic_and_says_why(
        machine: FakeMachine, capsys: Any) -> None:
    from labkit.base.facts import facts
    from labkit.building import clibuild
    from labkit.lab.session import Lab

    calls = cli_machine(machine, buildx=False, stdout=CLASSIC, stderr="", version="20.10.24")
    note = clibuild.builder_note("buildkit")
    assert note.startswith("Builder: classic, what `docker build` runs here (Docker 20.10.24 "
                           "has BuildKit built in, but before Engine 23 `docker build` uses it "
                           "only with DOCKER_BUILDKIT=1)")
    assert facts().builder == "classic"
    done = Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:v1", builder="buildkit")
    argv, env = calls[-1]
    assert argv[:2] == ["docker", "build"] and "DOCKER_BUILDKIT" not in env
    assert "--builder" not in argv and done.builder == "classic"
    assert capsys.readouterr().out.startswith("$ docker build -t front-app:v1 ")


def test_a_failed_build_raises_the_builders_one_line(machine: FakeMachine) -> None:
    import pytest

    from labkit.base.errors import LabkitError
    from labkit.lab.session import Lab

    cli_machine(machine, buildx=True, stderr=PLAIN_ERROR, code=1)
    with pytest.raises(LabkitError, match='checksum: "/secret.env": not found'):
        Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:peek",
                                           builder="buildkit", show=False)


LOST = ('ERROR: failed to build: failed to solve: failed to prepare extraction snapshot '
        '"extract-943238624-H0RU sha256:dffc": parent snapshot sha256:127d does not exist: '
        'not found\n')


def flaky_builds(machine: FakeMachine, failures: int) -> list[Any]:
    """cli_machine whose first FAILURES builds lose containerd's race, the rest succeed."""
    import subprocess

    from labkit.base import engine as engine_mod

    calls = cli_machine(machine, buildx=True)
    succeed = engine_mod.system().run
    lost = [failures]

    def run(argv: Any, env: Any = None) -> subprocess.CompletedProcess[str]:
        if "--iidfile" in list(argv) and lost[0] > 0:
            lost[0] -= 1
            calls.append((list(argv), env))
            return subprocess.CompletedProcess(list(argv), 1, "", LOST)
        return succeed(argv, env=env)

    engine_mod.use_system(engine_mod.System(**{**vars(engine_mod.system()), "run": run}))
    return calls


def test_a_build_that_lost_containerds_race_runs_once_more(machine: FakeMachine,
                                                            capsys: Any) -> None:
    from labkit.lab.session import Lab

    calls = flaky_builds(machine, failures=1)
    done = Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:v1",
                                              builder="buildkit", show=False)
    assert done.image_id and len([a for a, _ in calls if "--iidfile" in a]) == 2
    assert "moby/buildkit#6521" in capsys.readouterr().out


def test_a_second_lost_race_is_the_builds_error(machine: FakeMachine) -> None:
    import pytest

    from labkit.base.errors import LabkitError
    from labkit.lab.session import Lab

    calls = flaky_builds(machine, failures=2)
    with pytest.raises(LabkitError, match="parent snapshot sha256:127d does not exist"):
        Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:v1",
                                           builder="buildkit", show=False)
    assert len([a for a, _ in calls if "--iidfile" in a]) == 2  # once more, never a third time


def test_any_other_failed_build_is_not_run_again(machine: FakeMachine) -> None:
    import pytest

    from labkit.base.errors import LabkitError
    from labkit.lab.session import Lab

    calls = cli_machine(machine, buildx=True, stderr=PLAIN_ERROR, code=1)
    with pytest.raises(LabkitError):
        Lab("01", session="s0a0b0c").build("/tmp/ctx", "front-app:peek",
                                           builder="buildkit", show=False)
    assert len([a for a, _ in calls if "--iidfile" in a]) == 1


def test_untagged_image_ids_are_the_images_without_a_name(machine: FakeMachine) -> None:
    fake = engine(machine)
    loose = fake.images.put(None)
    assert build.untagged_image_ids() == {loose.id}  # labkit/busybox has a name
