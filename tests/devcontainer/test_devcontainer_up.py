"""The dev container, built and run as VS Code and Codespaces do, with the Dev Containers CLI
(`@devcontainers/cli`, pinned in package-lock.json here), on this machine's engine.

`devcontainer up` on a throwaway copy of the project (its postCreateCommand, `./course prepare`,
writes .venv into the workspace folder), then chapters 00 and 03 under nbval inside it, then
everything it made is removed by exact id and the engine is checked unchanged. Times go to the
terminal and dist/devcontainer/times.txt; the CLI's logs to dist/devcontainer/*.log.
Run by .ci/run: `.venv/bin/python -m pytest tests/devcontainer -m devcontainer -q`.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.devcontainer import thismachine
from tests.unit.test_devcontainer import strip_comments

pytestmark = pytest.mark.devcontainer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLI = HERE / "node_modules" / ".bin" / "devcontainer"
LOGS = ROOT / "dist" / "devcontainer"
SOURCE_IMAGE = "labkit/debian:bookworm"          # built by `labkit images` (./course prepare)
BASE_TAG = "labkit/devcontainer-base:test"
CHAPTERS = ("00", "03")
SCRATCH = "labkit-devcontainer-"                 # the throwaway copy's folder, under /tmp
TAIL = 40


# -- the learner's engine, before and after --------------------------------------------------

def engine_state(client: Any) -> dict[str, Any]:
    """What must be the same after the test: containers, images (id and tags), volumes,
    networks, and /etc/docker/daemon.json's bytes."""
    daemon_json = Path("/etc/docker/daemon.json")
    return {
        "containers": sorted((c.id, c.name) for c in client.containers.list(all=True)),
        "images": sorted((i.id, tuple(sorted(i.tags))) for i in client.images.list()),
        "volumes": sorted(v.name for v in client.volumes.list()),
        "networks": sorted((n.id, n.name) for n in client.networks.list()),
        "daemon.json": daemon_json.read_bytes() if daemon_json.exists() else None,
    }


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = []
    for key in before:
        if before[key] == after[key]:
            continue
        if key == "daemon.json":
            out.append("/etc/docker/daemon.json changed")
            continue
        gone, new = set(before[key]) - set(after[key]), set(after[key]) - set(before[key])
        out.append(f"{key}: gone {sorted(gone)}, new {sorted(new)}")
    return out


# -- running the CLI -------------------------------------------------------------------------

def run_logged(argv: list[str], log: Path, timeout: float, marks: tuple[str, ...] = (),
               merge: bool = False) -> tuple[int, str, list[str], dict[str, float]]:
    """Runs `argv`, its stderr (and with `merge` its stdout too) logged line by line, stamped
    with seconds since the start; otherwise stdout is kept apart (the CLI's JSON result).

    Returns the exit code, stdout, the last lines logged, and for each of `marks` the seconds
    at which a line containing it first appeared.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    tail: collections.deque[str] = collections.deque(maxlen=TAIL)
    seen: dict[str, float] = {}
    t0 = time.monotonic()
    with log.open("w") as out, tempfile.TemporaryFile("w+") as stdout:
        out.write(f"$ {' '.join(argv)}\n")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE if merge else stdout,
                                stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                                text=True, errors="replace", cwd=ROOT)
        stream = proc.stdout if merge else proc.stderr
        assert stream is not None
        for line in stream:
            now = time.monotonic() - t0
            out.write(f"[{now:7.1f} s] {line}")
            out.flush()
            tail.append(line.rstrip("\n"))
            for mark in marks:
                if mark in line and mark not in seen:
                    seen[mark] = now
            if now > timeout:
                proc.kill()
                tail.append(f"(killed after {timeout:.0f} s)")
                break
        code = proc.wait()
        stdout.seek(0)
        text = stdout.read()
        out.write(f"--- stdout\n{text}")
    return code, text, list(tail), seen


def cli_failure(what: str, code: int, tail: list[str], log: Path, detail: str = "") -> str:
    lines = "\n".join(tail[-TAIL:])
    return (f"{what} failed (exit {code}){': ' + detail if detail else ''}\n"
            f"--- last {len(tail)} lines of {log}:\n{lines}")


def install_cli() -> None:
    """`npm ci` from the committed package-lock.json: the pinned @devcontainers/cli."""
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed: the dev container test needs Node.js 20+ and npm "
                    "(apt-get install nodejs npm)")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not CLI.exists():
        pytest.fail(f"npm ci in {HERE} failed (exit {done.returncode}):\n"
                    f"{(done.stdout + done.stderr)[-3000:]}")


# -- what this test creates, and removing exactly that ---------------------------------------

def build_base(client: Any, folder: Path) -> None:
    """labkit/devcontainer-base:test: the course's Debian image with this machine's apt setup."""
    import docker.errors

    try:
        client.images.get(SOURCE_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.fail(f"{SOURCE_IMAGE} is missing: `./course prepare` (labkit images) builds it; "
                    "the dev container test runs after ./course test")
    try:
        client.images.build(path=str(thismachine.base_context(folder, SOURCE_IMAGE)),
                            tag=BASE_TAG, labels=thismachine.LABELS, rm=True, forcerm=True,
                            pull=False)
    except docker.errors.BuildError as err:
        lines = [str(chunk.get("stream", chunk.get("error", ""))).rstrip()
                 for chunk in err.build_log]
        pytest.fail(f"building {BASE_TAG} failed: {err.msg}\n" + "\n".join(lines[-TAIL:]))


def remove_leftovers(client: Any) -> None:
    """What an earlier run that was killed left (before `before` is taken): dev containers of
    our scratch folders with their volumes and vsc- images, and our labelled base image."""
    import docker.errors

    ours = f"{tempfile.gettempdir()}/{SCRATCH}"
    label = "devcontainer.local_folder"
    for container in client.containers.list(all=True, filters={"label": label}):
        if not container.labels[label].startswith(ours):
            continue
        volumes = [m["Name"] for m in container.attrs.get("Mounts", [])
                   if m.get("Type") == "volume"]
        image = container.attrs["Image"]
        container.remove(force=True)
        shutil.rmtree(Path(container.labels[label]).parent, ignore_errors=True)
        for name in volumes:
            client.volumes.get(name).remove()
        tags = client.images.get(image).tags
        if tags and all(tag.startswith("vsc-docker-internals-workbook-") for tag in tags):
            client.images.remove(image)
    try:
        base = client.images.get(BASE_TAG)
    except docker.errors.ImageNotFound:
        return
    if all(base.labels.get(k) == v for k, v in thismachine.LABELS.items()):
        client.images.remove(base.id)


def copy_project(target: Path) -> None:
    """The work tree's tracked and untracked-not-ignored files (tools/matrix --worktree)."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in filter(None, listing.decode().split("\0")):
        src, dst = ROOT / rel, target / rel
        if not (src.is_file() or src.is_symlink()):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)


def descends_from(client: Any, image_id: str, roots: set[str]) -> bool:
    """Whether IMAGE_ID's parent chain (the classic builder's step images) reaches one of
    ROOTS (image ids or tags)."""
    import docker.errors

    root_ids = set()
    for root in roots:
        try:
            root_ids.add(client.images.get(root).id)
        except docker.errors.ImageNotFound:
            root_ids.add(root)
    current = image_id
    for _ in range(64):  # a Dockerfile's steps
        try:
            parent = client.api.inspect_image(current).get("Parent") or ""
        except docker.errors.ImageNotFound:
            return False
        if not parent:
            return False
        if parent in root_ids:
            return True
        current = parent
    return False


def tear_down(client: Any, workspace: Path, before: dict[str, Any]) -> list[str]:
    """Removes the dev container, its volumes, the images the CLI built and our base image:
    each by exact id or name, each new since `before`. Returns what could not be removed."""
    import docker.errors

    problems: list[str] = []
    old_images = {image_id for image_id, _ in before["images"]}
    ours: set[str] = set()  # the image each dev container ran (the CLI built it), and our base
    for container in client.containers.list(
            all=True, filters={"label": f"devcontainer.local_folder={workspace}"}):
        ours.add(container.attrs["Image"])
        volumes = [m["Name"] for m in container.attrs.get("Mounts", [])
                   if m.get("Type") == "volume" and m["Name"] not in before["volumes"]]
        try:
            container.remove(force=True)
        except docker.errors.APIError as err:
            problems.append(f"container {container.name}: {err}")
        for name in volumes:
            try:
                client.volumes.get(name).remove()
            except docker.errors.APIError as err:
                problems.append(f"volume {name}: {err}")
    try:
        ours.add(client.images.get(BASE_TAG).id)
    except docker.errors.ImageNotFound:
        pass
    # Also the CLI's vsc- image of this workspace when no container came up, and what a failed
    # build of ours left: an untagged image whose parents lead to one of ours. Nothing else,
    # even if it appeared meanwhile: another build on this engine is not ours to remove.
    prefix = f"vsc-{workspace.name}-"
    for image in client.images.list(all=True):
        if image.id in old_images:
            continue
        if image.tags and all(t.startswith(prefix) for t in image.tags):
            ours.add(image.id)
        elif not image.tags and descends_from(client, image.id, ours | {BASE_TAG}):
            ours.add(image.id)
    # A child goes before its parent, so a few rounds; only the last round's errors count.
    errors: dict[str, str] = {}
    for _ in range(4):
        errors = {}
        for image_id in sorted(ours - old_images):
            try:
                client.images.remove(image_id, force=False, noprune=False)
            except docker.errors.ImageNotFound:
                continue
            except docker.errors.APIError as err:
                errors[image_id] = f"image {image_id}: {err}"
        if not errors:
            break
    return problems + list(errors.values())


# -- the test --------------------------------------------------------------------------------

def test_devcontainer_up_then_chapters_00_and_03_pass_inside(
        capsys: pytest.CaptureFixture[str]) -> None:
    import docker
    import docker.errors

    install_cli()
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as err:
        pytest.fail(f"no Docker Engine answers here ({err}); start one: .venv/bin/labkit engine up")
    remove_leftovers(client)
    before = engine_state(client)
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH))
    workspace = scratch / "docker-internals-workbook"
    times: dict[str, float] = {}
    problems: list[str] = []
    try:
        build_base(client, scratch / "base")
        copy_project(workspace)
        config_path = workspace / ".devcontainer" / "devcontainer.json"
        config = json.loads(strip_comments(config_path.read_text()))
        config = thismachine.for_this_machine(config, BASE_TAG)
        missing = thismachine.missing_capabilities()
        if missing:
            config = thismachine.without_privileged(config, missing)
            with capsys.disabled():
                print(f"\n== devcontainer: this engine cannot grant {', '.join(missing)}, so "
                      "--privileged fails here; running with every other capability instead")
        config_path.write_text(json.dumps(config, indent=2))

        t0 = time.monotonic()
        log = LOGS / "up.log"
        code, out, tail, seen = run_logged(
            [str(CLI), "up", "--workspace-folder", str(workspace)], log, timeout=3600,
            marks=("Running the postCreateCommand", "== prepared"))
        times["up"] = time.monotonic() - t0
        result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        if code != 0 or result.get("outcome") != "success":
            first = (str(result.get("message", "")).splitlines() or [""])[0][:300]
            pytest.fail(cli_failure("devcontainer up", code, tail, log,
                                    f"{result.get('description', '')} {first}"))
        if "Running the postCreateCommand" in seen and "== prepared" in seen:
            created = seen["Running the postCreateCommand"]
            times["image and container"] = created
            times["prepare"] = seen["== prepared"] - created
            # ./course's own step lines: "== pip: 38 s", "== engine: 15 s", "== images: 245 s"
            for step, seconds in re.findall(r"== (pip|engine|images): (\d+) s", log.read_text()):
                times[f"prepare: {step}"] = float(seconds)
        inside = result["remoteWorkspaceFolder"]

        for chapter in CHAPTERS:
            notebook = sorted((workspace / "notebooks").glob(f"{chapter}-*.ipynb"))[0]
            log = LOGS / f"nbval-{chapter}.log"
            t1 = time.monotonic()
            code, out, tail, _ = run_logged(
                [str(CLI), "exec", "--workspace-folder", str(workspace),
                 "--remote-env", "LABKIT_OFFLINE=1", "--remote-env", "LABKIT_REQUIRE_ENGINE=1",
                 "python3", f"{inside}/tools/nbval", f"{inside}/notebooks/{notebook.name}"],
                log, timeout=1800, merge=True)
            times[chapter] = time.monotonic() - t1
            if code != 0:
                pytest.fail(cli_failure(f"chapter {chapter} under nbval in the dev container",
                                        code, tail, log))
            if chapter == "00":
                times["up to 00 green"] = time.monotonic() - t0
    finally:
        problems = tear_down(client, workspace, before)
        shutil.rmtree(scratch, ignore_errors=True)
        report(times, capsys)
        left = problems + differences(before, engine_state(client))
        if left:  # said here too, in case the test is failing already for another reason
            with capsys.disabled():
                print("\n== devcontainer: the engine is not as it was:\n" + "\n".join(left))

    after = engine_state(client)
    assert not problems, "\n".join(problems)
    assert not differences(before, after), "\n".join(differences(before, after))


def report(times: dict[str, float], capsys: pytest.CaptureFixture[str]) -> None:
    """One line to quote: `devcontainer up` to chapter 00 green, then what it is made of."""
    if not times:
        return
    green = times.get("up to 00 green")
    head = (f"devcontainer up to chapter 00 green: {green / 60:.1f} min ({green:.0f} s)"
            if green is not None else "devcontainer: chapter 00 not green")
    parts = [f"{k} {v:.0f} s" for k, v in times.items() if k != "up to 00 green"]
    line = f"{head} on {os.cpu_count()} CPUs; " + "; ".join(parts)
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "times.txt").write_text(line + "\n")
    with capsys.disabled():
        print("\n== " + line)
