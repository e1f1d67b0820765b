""".devcontainer/: what the course relies on in devcontainer.json, its Dockerfile and the
cgroup script (no engine: the container itself is built by Codespaces or VS Code)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".devcontainer"
LIFECYCLE = ("initializeCommand", "onCreateCommand", "updateContentCommand",
             "postCreateCommand", "postStartCommand", "postAttachCommand")


def strip_comments(text: str) -> str:
    """JSON with comments (the Dev Containers spec allows `//` and `/* */`) as plain JSON.

    Comment markers inside strings ("http://...") are kept; line breaks are kept, so a JSON
    error still points at the right line.
    """
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return json.loads(strip_comments((FOLDER / "devcontainer.json").read_text()))


def _course_verbs() -> set[str]:
    """The verbs of `./course`: the branches of its final `case "${1:-}"`."""
    text = (ROOT / "course").read_text()
    body = text[text.rindex('case "${1:-}" in'):]
    return {verb for found in re.findall(r"^  ([a-z|-]+)\)", body, re.MULTILINE)
            for verb in found.split("|")}


def _commands(config: dict[str, Any]) -> list[list[str]]:
    """Every simple command the lifecycle properties run (strings split at && ; ||)."""
    found = []
    for key in LIFECYCLE:
        value = config.get(key)
        values = value.values() if isinstance(value, dict) else [value]
        for command in values:
            if isinstance(command, list):
                found.append(command)
            elif isinstance(command, str):
                found += [shlex.split(part) for part in re.split(r"&&|\|\||;", command)
                          if part.strip()]
    return found


def test_comments_are_stripped_but_not_inside_strings() -> None:
    text = '{\n  // a comment\n  "url": "http://x/*y*/", /* two\nlines */ "n": 1 // end\n}'
    assert json.loads(strip_comments(text)) == {"url": "http://x/*y*/", "n": 1}
    assert strip_comments(text).count("\n") == text.count("\n")


def test_a_debian_bookworm_image_with_what_course_needs_first() -> None:
    dockerfile = (FOLDER / "Dockerfile").read_text()
    # Debian's own image by default; BASE lets tests/devcontainer use a local stand-in.
    assert re.search(r"^ARG BASE=debian:bookworm\s*$", dockerfile, re.MULTILINE)
    assert re.search(r"^FROM \$\{BASE\}\s*$", dockerfile, re.MULTILINE)
    assert dockerfile.index("ARG BASE") < dockerfile.index("FROM ")
    install = re.search(r"apt-get install[^\n]*((?:\\\n[^\n]*)+)", dockerfile)
    assert install, "the Dockerfile installs packages with apt-get"
    packages = set(install.group(0).replace("\\\n", " ").split())
    assert {"python3", "python3-venv", "git", "sudo", "ca-certificates"} <= packages


def test_the_container_can_run_an_engine_of_its_own(config: dict[str, Any]) -> None:
    assert config["build"]["dockerfile"] == "Dockerfile"
    assert (FOLDER / config["build"]["dockerfile"]).is_file()
    assert config["privileged"] is True
    assert "--cgroupns=private" in config.get("runArgs", [])
    assert config.get("remoteUser", "root") == "root"  # ./course needs root


def test_engine_data_and_lesson_folders_are_on_volumes(config: dict[str, Any]) -> None:
    mounts = {m["target"]: m for m in config["mounts"]}
    state_dir = re.search(r'LABKIT_STATE_DIR:-([^}"]+)', (ROOT / "course").read_text())
    assert state_dir, "course sets LABKIT_STATE_DIR's default"
    for target in ("/var/lib/docker", state_dir.group(1)):
        assert mounts[target]["type"] == "volume", target
        # one volume per dev container: two learners' containers never share an engine's data
        assert "${devcontainerId}" in mounts[target]["source"], target


def test_the_course_is_prepared_on_create(config: dict[str, Any]) -> None:
    assert "./course prepare" in config["postCreateCommand"]
    assert config.get("waitFor") == "postCreateCommand"
    assert "prepare" in _course_verbs() and "lab" in _course_verbs()


def test_every_command_it_names_exists(config: dict[str, Any]) -> None:
    commands = _commands(config)
    assert commands
    verbs = _course_verbs()
    for argv in commands:
        if argv[0] == "sudo":
            argv = argv[1:]
        if argv[0] == "./course":
            assert argv[1] in verbs, f"./course has no verb {argv[1]!r}"
        elif argv[0] in {"sh", "bash"}:
            assert (ROOT / argv[1]).is_file(), argv[1]
        else:
            pytest.fail(f"a lifecycle command the test does not know: {argv}")
    labels = " ".join(a.get("label", "") for a in config["portsAttributes"].values())
    for named in re.findall(r"\./course (\w+)", labels):
        assert named in verbs


def test_jupyterlab_port_is_forwarded(config: dict[str, Any]) -> None:
    # `./course lab` leaves JupyterLab on its default port, 8888.
    course = (ROOT / "course").read_text()
    settings = json.loads((ROOT / "jupyter" / "jupyter_lab_config.json").read_text())
    assert not re.search(r"--(ServerApp\.)?port\b", course)
    assert all("port" not in section for section in settings.values())
    assert 8888 in config["forwardPorts"]
    assert "8888" in config["portsAttributes"]


# -- engine-cgroups.sh, on a fake cgroup folder ------------------------------------------------

def _cgroups(tmp_path: Path, *, v2: bool = True, self_cgroup: str = "0::/",
             subtree: str = "") -> tuple[Path, dict[str, str]]:
    root = tmp_path / "cgroup"
    root.mkdir()
    if v2:
        (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
        (root / "cgroup.subtree_control").write_text(subtree)
    (root / "cgroup.procs").write_text("1\n27\n311\n")
    (tmp_path / "self").write_text(self_cgroup + "\n")
    return root, {"LABKIT_CGROUP_ROOT": str(root), "LABKIT_SELF_CGROUP": str(tmp_path / "self"),
                  "PATH": "/usr/bin:/bin"}


def _script(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(FOLDER / "engine-cgroups.sh")], env=env,
                          capture_output=True, text=True, timeout=30)


def test_cgroups_v2_processes_move_and_controllers_are_handed_down(tmp_path: Path) -> None:
    root, env = _cgroups(tmp_path)
    done = _script(env)
    assert done.returncode == 0, done.stderr
    assert (root / "init" / "cgroup.procs").read_text().split() == ["1", "27", "311"]
    assert (root / "cgroup.subtree_control").read_text().split() == \
        ["+cpuset", "+cpu", "+io", "+memory", "+pids"]


def test_cgroups_run_again_changes_nothing(tmp_path: Path) -> None:
    root, env = _cgroups(tmp_path, self_cgroup="0::/init", subtree="+cpu +memory\n")
    assert _script(env).returncode == 0
    assert not (root / "init").exists()
    assert (root / "cgroup.subtree_control").read_text() == "+cpu +memory\n"


def test_cgroups_v1_is_left_alone(tmp_path: Path) -> None:
    root, env = _cgroups(tmp_path, v2=False)
    done = _script(env)
    assert done.returncode == 0 and "v1" in done.stdout
    assert sorted(p.name for p in root.iterdir()) == ["cgroup.procs"]


def test_cgroups_outside_a_namespace_of_its_own_are_left_alone(tmp_path: Path) -> None:
    root, env = _cgroups(tmp_path, self_cgroup="0::/system.slice/docker-1234.scope")
    done = _script(env)
    assert done.returncode == 1 and "--cgroupns=private" in done.stderr
    assert not (root / "init").exists() and (root / "cgroup.subtree_control").read_text() == ""


# -- tests/devcontainer's changes for the machine it runs on (no engine) ---------------------

def test_the_end_to_end_test_changes_a_copy_only_and_keeps_what_it_checks(
        config: dict[str, Any]) -> None:
    from tests.devcontainer import thismachine

    original = json.loads(json.dumps(config))
    changed = thismachine.for_this_machine(config, "labkit/devcontainer-base:test")
    assert config == original
    assert changed["build"]["args"]["BASE"] == "labkit/devcontainer-base:test"
    assert changed["mounts"][:len(config["mounts"])] == config["mounts"]
    assert all(m.endswith(",readonly") for m in changed["mounts"][len(config["mounts"]):])
    spelled = thismachine.without_privileged(changed, ["SYS_RESOURCE"])
    assert "privileged" not in spelled and "--cap-drop=SYS_RESOURCE" in spelled["runArgs"]
    assert spelled["postCreateCommand"] == config["postCreateCommand"]
    assert spelled["postStartCommand"].endswith(config["postStartCommand"])


def test_pip_locations_become_the_folders_to_mount(tmp_path: Path) -> None:
    from tests.devcontainer.thismachine import _local_folder

    (tmp_path / "pypi" / "simple").mkdir(parents=True)
    (tmp_path / "c.txt").write_text("")
    assert _local_folder(f"file://{tmp_path}/pypi/simple") == tmp_path / "pypi"
    assert _local_folder(str(tmp_path / "c.txt")) == tmp_path
    assert _local_folder("https://example.org/simple") is None
    assert _local_folder(str(tmp_path / "absent")) is None
