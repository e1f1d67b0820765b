"""Chapter 02's and 02b's exercise checks: each accepts the model answer, calls the placeholder
`...` "not answered yet" (no exception, no try counted), and rejects wrong answers with a hint,
adding a second, narrower one from the second wrong try (fake folders, a fake client, a fake
`docker save`; no engine)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from labkit.base import procfs
from labkit.images.untar import extract_all
from labkit.lab import exercises
from labkit.storage import checks as checks_storage
from labkit.storage import layertar
from labkit.storage.overlay import OverlayDirs

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeImage
from .fakes.docker_root import IS_ROOT, whiteout
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.seam import Fakes

needs_root = pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
RIGHT = {"notes.txt": "whiteout", "notes.bak": "file"}


@pytest.fixture(autouse=True)
def fresh_tries() -> None:
    """Each test starts with no wrong tries counted (the count lives in the process)."""
    exercises.reset_tries()


def rejected(result, hint_part: str = "") -> None:
    assert not result.passed
    assert result.hint, "a wrong answer must come with a hint"
    assert hint_part in result.hint
    assert "NOT YET" in str(result) and "hint:" in str(result)
    assert result.message != "not answered yet"


def contract(check: Callable[[Any], Any], placeholders: Sequence[Any], wrongs: Sequence[Any],
             model: Any) -> None:
    """One exercise's whole life: placeholders are "not answered yet" and count as no try;
    every wrong answer fails with a hint, and from the second wrong try on with `more` too;
    the model answer passes."""
    exercises.reset_tries()
    for placeholder in placeholders:
        result = check(placeholder)
        assert not result.passed and result.message == "not answered yet", str(result)
        assert "replace the `...`" in result.hint and result.tries == 0
    for n, wrong in enumerate(wrongs, start=1):
        result = check(wrong)
        rejected(result)
        assert result.tries == n
        if n == 1:
            assert not result.more and "hint 2:" not in str(result)
        else:
            assert result.more, f"wrong try {n} ({wrong!r}) has no second hint"
            assert "hint 2:" in str(result)
    result = check(model)
    assert result.passed, str(result)


# -- 02.1 ------------------------------------------------------------------------------------
def mount_table(tmp_path: Path, *points: Path) -> None:
    """What this machine's /proc/self/mountinfo lists (procfs.PROC points at tmp_path/proc)."""
    lines = [f"{n} 1 0:{n} / {os.path.realpath(p)} rw - overlay overlay rw\n"
             for n, p in enumerate(points, start=40)]
    (tmp_path / "proc" / "self" / "mountinfo").write_text(
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" + "".join(lines))


@pytest.fixture
def ex(tmp_path: Path, monkeypatch) -> OverlayDirs:
    """The exercise overlay after `mv merged/notes.txt merged/notes.bak` (as the folders would
    be, but for the whiteout, which needs root)."""
    for sub in ("lower", "upper", "work", "merged"):
        (tmp_path / sub).mkdir()
    (tmp_path / "lower" / "notes.txt").write_text("keep me\n")
    (tmp_path / "upper" / "notes.bak").write_text("keep me\n")
    (tmp_path / "merged" / "notes.bak").write_text("keep me\n")
    # procfs reads this machine's own /proc (not the Docker host's): PROC is where.
    (tmp_path / "proc" / "self").mkdir(parents=True)
    monkeypatch.setattr(procfs, "PROC", tmp_path / "proc")
    mount_table(tmp_path, tmp_path / "merged")
    return OverlayDirs(tmp_path, (tmp_path / "lower",), tmp_path / "upper", tmp_path / "work",
                       tmp_path / "merged")


def rename(ex: OverlayDirs, prediction: Any) -> Any:
    return checks_storage.check_rename(ex, "notes.txt", "notes.bak", prediction)


def test_rename_prediction_needs_the_two_names(ex) -> None:
    rejected(rename(ex, {"notes.txt": "whiteout"}), "prediction")
    rejected(rename(ex, {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}),
             "prediction")


@needs_root
@pytest.mark.parametrize("name,wrong,key", [("notes.txt", "missing", "old"),
                                            ("notes.txt", "file", "old"),
                                            ("notes.bak", "missing", "new")])
def test_a_wrong_prediction_gets_the_hint_for_that_name(ex, name, wrong, key) -> None:
    whiteout(ex.upper / "notes.txt")
    result = rename(ex, {**RIGHT, name: wrong})
    rejected(result, checks_storage.RENAME_HINTS[key][0])
    assert name in result.message and not result.more
    again = rename(ex, {**RIGHT, name: wrong})
    assert again.more == checks_storage.RENAME_HINTS[key][1]
    assert "whiteout" not in again.more and "file" not in again.more.split()


@needs_root
def test_rename_contract(ex) -> None:
    whiteout(ex.upper / "notes.txt")  # what renaming through merged leaves behind
    contract(lambda p: rename(ex, p),
             [..., {"notes.txt": ..., "notes.bak": ...}, {**RIGHT, "notes.bak": ...}],
             [{**RIGHT, "notes.txt": "missing"}, {**RIGHT, "notes.bak": "missing"},
              {"notes.txt": "whiteout"}, {**RIGHT, "notes.txt": "file"},
              {"notes.txt": "file", "notes.bak": "whiteout"}],
             RIGHT)


def test_the_prediction_is_compared_with_the_folders_not_a_constant(ex) -> None:
    # Not renamed yet: merged shows notes.txt; the right prediction alone does not pass.
    (ex.merged / "notes.bak").unlink()
    (ex.merged / "notes.txt").write_text("keep me\n")
    result = rename(ex, RIGHT)
    rejected(result, "rename the file")
    assert rename(ex, RIGHT).more


def test_not_mounted_is_rejected(ex, tmp_path: Path) -> None:
    mount_table(tmp_path, tmp_path / "lower")
    rejected(rename(ex, RIGHT), "make_exercise")


def test_changing_lowerdir_is_rejected(ex) -> None:
    (ex.lower / "notes.txt").unlink()
    rejected(rename(ex, RIGHT), "through merged")


def test_a_plain_file_where_the_whiteout_should_be_is_read_as_it_is(ex) -> None:
    # The check reads upperdir: a plain file there (no kernel made it) is a "file".
    (ex.upper / "notes.txt").write_text("")
    rejected(rename(ex, RIGHT), "how does the union stop showing")
    assert rename(ex, {"notes.txt": "file", "notes.bak": "file"}).passed


@needs_root
def test_a_real_whiteout_with_the_right_prediction_passes(ex) -> None:
    whiteout(ex.upper / "notes.txt")
    result = rename(ex, RIGHT)
    assert result.passed, str(result)


# -- the fake `docker save` (02.2 and 02b.2) ----------------------------------------------------
def layer_tar(names: Sequence[str]) -> bytes:
    """A layer tar holding empty entries NAMES (folders end in "/")."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name in names:
            info = tarfile.TarInfo(name.rstrip("/"))
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
            tf.addfile(info, io.BytesIO(b""))
    return buf.getvalue()


BASE_LAYER = ["etc/", "etc/issue.net", "etc/motd"]


def diff_ids_of(layers: Sequence[Sequence[str]]) -> list[str]:
    return ["sha256:" + hashlib.sha256(layer_tar(x)).hexdigest() for x in layers]


def docker_save_answer(layers: Sequence[Sequence[str]]) -> Callable[[tuple[str, ...]], str]:
    """`docker save REF -o FILE`, faked: a docker-archive of LAYERS (bottom first)."""
    def answer(argv: tuple[str, ...]) -> str:
        tars = [layer_tar(x) for x in layers]
        config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids_of(layers)}})
        names = [f"{n}/layer.tar" for n in range(1, len(tars) + 1)]
        manifest = [{"Config": "c.json", "RepoTags": ["mine:v1"], "Layers": names}]
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            files = {"c.json": config.encode(), "manifest.json": json.dumps(manifest).encode(),
                     **dict(zip(names, tars, strict=True))}
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
        Path(argv[argv.index("-o") + 1]).write_bytes(buf.getvalue())
        return ""
    return answer


def untar(argv: tuple[str, ...]) -> str:
    with tarfile.open(argv[argv.index("-xf") + 1]) as tf:
        # The same door as labkit's: filters where Python has them (3.11.4+), checks where not.
        extract_all(tf, argv[argv.index("-C") + 1])
    return ""


@pytest.fixture
def save_gives(tmp_path: Path, fakes: Callable[..., Fakes]):
    """`docker save` of an image (the learner's, or the exercise's) gives these layers."""
    lab = FakeLab(tmp_path / "lab")

    def give(*layers: Sequence[str], ref: str = "mine:v1") -> FakeLab:
        fake = FakeClient(images={ref: FakeImage(IMAGE_ID, {"RootFS": {
            "Layers": diff_ids_of(layers)}})})
        cli = CliEngine(fake)  # `docker save` is the docker CLI's, on this machine
        cli.answers[("docker", "save")] = lambda argv: (0, docker_save_answer(layers)(argv), "")
        fakes(host=FakeHost({("tar", "-xf"): untar}, strict=True), system=cli.system(),
              client=fake)
        return lab
    return give


# -- 02.2 ------------------------------------------------------------------------------------
# One layer per RUN of checks.PUZZLE_STEPS (a step's own file under tmp/ keeps the tars apart,
# as their mtimes do in a real build).
PUZZLE = [BASE_LAYER, ["srv/", "srv/app/", "srv/app/app.conf", "tmp/1"],
          ["srv/app/", "srv/app/app.conf", "tmp/2"], ["srv/app/", "srv/app/index.html", "tmp/3"],
          ["srv/app/", "srv/app/app.conf", "tmp/4"], ["srv/app/", "srv/app/index.html", "tmp/5"]]
PUZZLE_IDS = diff_ids_of(PUZZLE)


@pytest.fixture
def puzzle(save_gives, tmp_path: Path) -> Callable[[Any], Any]:
    lab = save_gives(*PUZZLE, ref="layer-puzzle:v1")
    checks_storage._holders.clear()
    return lambda answer: checks_storage.check_layer_holding(lab, "layer-puzzle:v1",
                                                             "/srv/app/app.conf", answer)


def test_the_topmost_holder_passes(puzzle) -> None:
    assert puzzle(PUZZLE_IDS[4]).passed
    assert puzzle(PUZZLE_IDS[4][7:19].upper()).passed


def test_a_lower_holder_is_rejected_with_topmost_hint(puzzle) -> None:
    rejected(puzzle(PUZZLE_IDS[2]), "topmost")
    assert "whole file" in puzzle(PUZZLE_IDS[1]).more


def test_a_layer_without_the_file_is_rejected(puzzle) -> None:
    result = puzzle(PUZZLE_IDS[5])
    rejected(result, "which steps")
    assert "layer 6 of 6" in result.message


def test_the_image_id_is_rejected(puzzle) -> None:
    rejected(puzzle(IMAGE_ID), "RootFS.Layers")


def test_layer_holding_contract(puzzle) -> None:
    contract(puzzle, [..., "", None, "TODO"],
             [PUZZLE_IDS[1], PUZZLE_IDS[5], IMAGE_ID, "layer 5", "0" * 64, PUZZLE_IDS[0]],
             PUZZLE_IDS[4])


def test_garbage_and_unknown_ids_are_rejected(puzzle) -> None:
    rejected(puzzle("layer 5"), "12 hex")
    rejected(puzzle("0" * 64), "docker image inspect")


def test_the_check_saves_the_image_once(puzzle, capsys) -> None:
    puzzle(PUZZLE_IDS[1])
    puzzle(PUZZLE_IDS[4])
    assert capsys.readouterr().out.count("$ docker save") == 1


# -- 02b.1 -----------------------------------------------------------------------------------
TOP = "sha256:" + hashlib.sha256(b"top").hexdigest()
BASE = "sha256:" + hashlib.sha256(b"base").hexdigest()
IMAGE_ID = "sha256:" + hashlib.sha256(b"config").hexdigest()
BLOB = hashlib.sha256(b"gzip of top").hexdigest()


@pytest.fixture
def fresh(fakes: Callable[..., Fakes], tmp_path: Path) -> Path:
    """The image, and the folder where the learner unpacked its `docker save`."""
    fakes(client=FakeClient(images={
        "fresh:v1": FakeImage(IMAGE_ID, {"RootFS": {"Layers": [BASE, TOP]}})}))
    (tmp_path / "blobs" / "sha256").mkdir(parents=True)
    (tmp_path / "blobs" / "sha256" / BLOB).write_bytes(b"\x1f\x8b")
    return tmp_path


def test_the_top_diff_id_passes(fresh) -> None:
    assert checks_storage.check_diff_id("fresh:v1", TOP, fresh).passed
    assert checks_storage.check_diff_id("fresh:v1", f"  {TOP.upper()} ", str(fresh)).passed


@pytest.mark.parametrize("answer,hint_part", [
    (TOP.removeprefix("sha256:"), "sha256:"),
    ("sha256:1234", "64 hex"),
    (BASE, "last one"),
    (IMAGE_ID, "not the image"),
    (BLOB, "sha256:"),
    ("sha256:" + BLOB, "compressed"),
    ("sha256:" + "0" * 64, "uncompressed"),
])
def test_wrong_diff_ids_are_rejected_with_hints(fresh, answer, hint_part) -> None:
    rejected(checks_storage.check_diff_id("fresh:v1", answer, fresh), hint_part)


def test_diff_id_contract(fresh) -> None:
    contract(lambda a: checks_storage.check_diff_id("fresh:v1", a, fresh), [..., ""],
             [BASE, IMAGE_ID, "sha256:" + BLOB, "sha256:1234", TOP.removeprefix("sha256:")],
             TOP)


def test_no_hint_names_a_labkit_attribute(fresh) -> None:
    for answer in (BASE, IMAGE_ID, "sha256:" + BLOB, "sha256:12"):
        for _ in range(2):
            result = checks_storage.check_diff_id("fresh:v1", answer, fresh)
        assert "saved_b" not in result.hint + result.more
        assert ".manifest[" not in result.hint + result.more


# -- 02.3 ------------------------------------------------------------------------------------
@pytest.fixture
def cu(tmp_path: Path, monkeypatch) -> Path:
    """The copy-up overlay's folder: data.bin of 1,000 bytes in lowerdir, mounted."""
    for sub in ("lower", "upper", "work", "merged"):
        (tmp_path / sub).mkdir()
    (tmp_path / "lower" / "data.bin").write_bytes(b"x" * 1000)
    (tmp_path / "proc" / "self").mkdir(parents=True)
    monkeypatch.setattr(procfs, "PROC", tmp_path / "proc")
    mount_table(tmp_path, tmp_path / "merged")
    return tmp_path


def test_copy_up_writes_once_through_merged(cu, capsys, fakes: Callable[..., Fakes]) -> None:
    def shell(argv: tuple[str, ...]) -> str:  # what `printf EDIT | dd ... conv=notrunc` does
        with open(cu / "merged" / "data.bin", "r+b") as fh:
            fh.write(b"EDIT")
        return ""
    host = FakeHost({("sh", "-c"): shell}, strict=True)
    fakes(host=host)
    (cu / "merged" / "data.bin").write_bytes(b"x" * 1000)  # a plain folder here, not an overlay
    assert checks_storage.check_copy_up(cu, ...).message == "not answered yet"
    assert (cu / "merged" / "data.bin").read_bytes() == b"x" * 1000, "a placeholder writes nothing"
    # No kernel copies up here, so upperdir stays empty: the check says so, after writing.
    rejected(checks_storage.check_copy_up(str(cu), 1000), "copy_up_overlay")
    out = capsys.readouterr().out
    assert out.startswith("$ sh -c ") and "dd of=" in out and "conv=notrunc" in out
    assert host.calls == [("sh", "-c", f"printf EDIT | dd of={cu / 'merged' / 'data.bin'} "
                                       "conv=notrunc status=none")]
    assert (cu / "merged" / "data.bin").read_bytes() == b"EDIT" + b"x" * 996
    (cu / "upper" / "data.bin").write_bytes(b"EDIT" + b"x" * 996)  # what copy-up would leave
    assert checks_storage.check_copy_up(cu, 1000).passed
    assert not host.calls[1:], "with a copy up, no second write"


def test_copy_up_contract(cu) -> None:
    (cu / "upper" / "data.bin").write_bytes(b"x" * 1000)  # after the check's own write
    contract(lambda a: checks_storage.check_copy_up(cu, a), [...],
             [4, 1004, "a lot", 1_048_578, 1001], 1000)


def test_copy_up_hints_do_not_give_the_number(cu) -> None:
    (cu / "upper" / "data.bin").write_bytes(b"x" * 1000)
    checks_storage.check_copy_up(cu, 4)
    result = checks_storage.check_copy_up(cu, 4)
    assert "1,000" not in result.hint + result.more and "1000" not in result.hint + result.more


def test_copy_up_of_an_unmounted_overlay_is_rejected(cu, tmp_path: Path) -> None:
    mount_table(tmp_path, tmp_path / "lower")
    rejected(checks_storage.check_copy_up(cu, 1000), "copy_up_overlay")


# -- 02b.2 -----------------------------------------------------------------------------------
MINE = ["etc/", "etc/.wh.issue.net", "etc/.wh.skel"]


def test_tar_whiteouts_contract(save_gives, tmp_path: Path) -> None:
    lab = save_gives(BASE_LAYER, MINE)
    n = iter(range(100))

    def check(prediction: Any) -> Any:
        # Each save lands in a fresh lesson folder, as lab.workdir makes one.
        lab.root = tmp_path / f"lab{next(n)}"
        return checks_storage.check_tar_whiteouts(lab, "mine:v1", prediction)
    contract(check, [..., {...}, "..."],
             [{"etc/.wh.issue.net"}, {"etc/issue.net", "etc/skel"}, {"/etc/.wh.motd"},
              {"etc/.wh.issue.net", "etc/.wh.skel", "etc/skel/.wh.bashrc"}, 42, set()],
             {"/etc/.wh.issue.net", "./etc/.wh.skel"})


def test_tar_whiteouts_read_the_real_tar_not_the_lesson(save_gives) -> None:
    lesson = ["etc/", "etc/.wh.motd", "usr/share/doc/", "usr/share/doc/.wh..wh..opq"]
    lab = save_gives(BASE_LAYER, lesson)
    rejected(checks_storage.check_tar_whiteouts(lab, "mine:v1", set(lesson[1::2])),
             "of your own")


def test_tar_whiteouts_of_a_step_that_deletes_nothing(save_gives) -> None:
    lab = save_gives(BASE_LAYER, ["etc/", "etc/new.conf"])
    rejected(checks_storage.check_tar_whiteouts(lab, "mine:v1", {"etc/.wh.new.conf"}),
             "remove something")


def test_tar_whiteouts_without_an_image_is_unanswered() -> None:
    result = checks_storage.check_tar_whiteouts(FakeLab(), None, {"etc/.wh.x"})
    assert result.message == "not answered yet" and "my_step" in result.hint


def test_build_step_placeholder_builds_nothing(capsys) -> None:
    assert layertar.build_step(FakeLab(), ...) is None
    assert "not answered yet" in capsys.readouterr().out


def test_the_puzzle_is_built_by_buildkit_one_run_step_each(tmp_path: Path, capsys) -> None:
    """02.2's image: BuildKit where `docker build` is BuildKit (Lab.build falls back to the
    classic builder elsewhere), a RUN line per step, the Dockerfile printed."""
    built: list[tuple[str, str, str]] = []

    class BuildingLab(FakeLab):
        def build(self, context: Path, tag: str, *, builder: str = "classic") -> Any:
            built.append((tag, builder, (context / "Dockerfile").read_text()))
            return type("Built", (), {"tag": tag})()

    tag = checks_storage.build_layer_puzzle(BuildingLab(tmp_path))  # type: ignore[arg-type]
    assert tag == "layer-puzzle:v1"
    [(_, builder, dockerfile)] = built
    assert builder == "buildkit"
    assert dockerfile.count("\nRUN ") == len(checks_storage.PUZZLE_STEPS)
    assert capsys.readouterr().out == f"# layer-puzzle:v1\n{dockerfile}"
