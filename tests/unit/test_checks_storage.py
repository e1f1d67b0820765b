"""Chapter 02's and 02b's exercise checks: each accepts the model answer, calls the placeholder
`...` "not answered yet" (no exception, no try counted), and rejects wrong answers with a hint,
adding a second, more specific one from the second wrong try (fake folders, a fake Docker root,
a fake `docker save`; no engine)."""

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
from labkit.storage import layertar, overlay2_layers
from labkit.storage.imagesave import SavedImage, SavedLayer
from labkit.storage.overlay import OverlayDirs

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeImage
from .fakes.docker_root import IS_ROOT, image_attrs, make_store, store_client, whiteout
from .fakes.host import FakeHost
from .fakes.lab import FakeLab
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes

needs_root = pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
RIGHT = {"merged": "missing", "upperdir": "whiteout", "lowerdir": "file"}


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
    """The exercise overlay after a delete through merged (as the folders would be)."""
    for sub in ("lower", "upper", "work", "merged"):
        (tmp_path / sub).mkdir()
    (tmp_path / "lower" / "secret.txt").write_text("pw\n")
    # procfs reads this machine's own /proc (not the Docker host's): PROC is where.
    (tmp_path / "proc" / "self").mkdir(parents=True)
    monkeypatch.setattr(procfs, "PROC", tmp_path / "proc")
    mount_table(tmp_path, tmp_path / "merged")
    return OverlayDirs(tmp_path, (tmp_path / "lower",), tmp_path / "upper", tmp_path / "work",
                       tmp_path / "merged")


def test_whiteout_prediction_needs_the_three_keys(ex) -> None:
    rejected(checks_storage.check_whiteout(ex, "secret.txt", {"merged": "missing"}), "prediction")


@needs_root
@pytest.mark.parametrize("key,wrong", [("merged", "file"), ("upperdir", "missing"),
                                       ("lowerdir", "missing")])
def test_a_wrong_prediction_gets_the_hint_for_that_folder(ex, key, wrong) -> None:
    whiteout(ex.upper / "secret.txt")
    result = checks_storage.check_whiteout(ex, "secret.txt", {**RIGHT, key: wrong})
    rejected(result, checks_storage.PREDICTION_HINTS[key])
    assert key in result.message and not result.more
    again = checks_storage.check_whiteout(ex, "secret.txt", {**RIGHT, key: wrong})
    assert again.more == checks_storage.PREDICTION_MORE[key]


@needs_root
def test_whiteout_contract(ex) -> None:
    whiteout(ex.upper / "secret.txt")  # what deleting through merged leaves behind
    contract(lambda p: checks_storage.check_whiteout(ex, "secret.txt", p),
             [..., {"merged": ..., "upperdir": ..., "lowerdir": ...}, {**RIGHT, "merged": ...}],
             [{**RIGHT, "merged": "file"}, {**RIGHT, "upperdir": "missing"},
              {**RIGHT, "lowerdir": "whiteout"}, {"merged": "missing"},
              {**RIGHT, "upperdir": "file"}],
             RIGHT)


def test_the_prediction_is_compared_with_the_folders_not_a_constant(ex) -> None:
    # Not deleted yet: merged shows the file; the right prediction alone does not pass.
    (ex.merged / "secret.txt").write_text("pw\n")
    result = checks_storage.check_whiteout(ex, "secret.txt", RIGHT)
    rejected(result, "delete the file through the union")
    assert checks_storage.check_whiteout(ex, "secret.txt", RIGHT).more


def test_not_mounted_is_rejected(ex, tmp_path: Path) -> None:
    mount_table(tmp_path, tmp_path / "lower")
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "make_exercise")


def test_deleting_in_lowerdir_is_rejected(ex) -> None:
    (ex.lower / "secret.txt").unlink()
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "through merged")


def test_no_whiteout_in_upper_is_rejected(ex) -> None:
    (ex.upper / "secret.txt").write_text("")
    rejected(checks_storage.check_whiteout(ex, "secret.txt", RIGHT), "through merged")


@needs_root
def test_a_real_whiteout_with_the_right_prediction_passes(ex) -> None:
    whiteout(ex.upper / "secret.txt")
    result = checks_storage.check_whiteout(ex, "secret.txt", RIGHT)
    assert result.passed, str(result)


# -- 02.2 ------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path, fakes: Callable[..., Fakes]):
    s = make_store(tmp_path, [{"etc/passwd": "root\n"}, {"etc/passwd": "root\nredis\n"},
                              {"data/x": ""}])
    redis = FakeImage("sha256:" + "f" * 64, image_attrs(s, ["redis"]))
    fakes(system=FakeMachine().system(), client=store_client({"redis": redis}, root=str(tmp_path)))
    return s


def test_the_topmost_holder_passes(store) -> None:
    result = checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[1])
    assert result.passed, str(result)
    assert checks_storage.check_layer_holding("redis", "/etc/passwd",
                                              store.diff_ids[1][7:19].upper()).passed


def test_a_lower_holder_is_rejected_with_topmost_hint(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[0]),
             "topmost")


def test_a_layer_without_the_file_is_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.diff_ids[2]),
             "diff/")


def test_a_folder_name_or_chain_id_is_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", store.cache_ids[1]),
             "diff_id")
    chain = overlay2_layers.chain_ids(store.diff_ids)[1]
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", chain), "RootFS")


def test_layer_holding_contract(store) -> None:
    contract(lambda a: checks_storage.check_layer_holding("redis", "/etc/passwd", a),
             [..., "", None, "TODO"],
             [store.diff_ids[0], store.diff_ids[2], store.cache_ids[1], "layer 2", "0" * 64,
              overlay2_layers.chain_ids(store.diff_ids)[1]],
             store.diff_ids[1])


def test_garbage_and_unknown_ids_are_rejected(store) -> None:
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", "layer 2"), "12 hex")
    rejected(checks_storage.check_layer_holding("redis", "/etc/passwd", "0" * 64),
             "image_layers")


# -- 02.3 ------------------------------------------------------------------------------------
TOP = "sha256:" + hashlib.sha256(b"top").hexdigest()
BASE = "sha256:" + hashlib.sha256(b"base").hexdigest()
IMAGE_ID = "sha256:" + hashlib.sha256(b"config").hexdigest()
FOLDER = hashlib.sha256(b"v1").hexdigest()


@pytest.fixture
def app(fakes: Callable[..., Fakes]) -> SavedImage:
    fakes(client=FakeClient(images={
        "app:v1": FakeImage(IMAGE_ID, {"RootFS": {"Layers": [BASE, TOP]}})}))
    layers = (SavedLayer(1, "x/layer.tar", 1, BASE, False, BASE),
              SavedLayer(2, f"{FOLDER}/layer.tar", 1, TOP, False, TOP))
    return SavedImage(Path("/nowhere"), "docker", ("app:v1",), "c.json", {}, layers)


def test_the_top_diff_id_passes(app) -> None:
    assert checks_storage.check_diff_id("app:v1", TOP, app).passed


@pytest.mark.parametrize("answer,hint_part", [
    (TOP.removeprefix("sha256:"), "sha256:"),
    ("sha256:1234", "64 hex"),
    (BASE, "last entry"),
    (IMAGE_ID, "not the config"),
    (FOLDER, "layer.tar"),
    ("sha256:" + "0" * 64, "uncompressed"),
])
def test_wrong_diff_ids_are_rejected_with_hints(app, answer, hint_part) -> None:
    rejected(checks_storage.check_diff_id("app:v1", answer, app), hint_part)


def test_diff_id_contract(app) -> None:
    contract(lambda a: checks_storage.check_diff_id("app:v1", a, app), [..., ""],
             [BASE, IMAGE_ID, FOLDER, "sha256:1234", TOP.removeprefix("sha256:")], TOP)


# -- 02.4 ------------------------------------------------------------------------------------
def test_copy_up_appends_once_through_merged(ex, capsys, fakes: Callable[..., Fakes]) -> None:
    def shell(argv: tuple[str, ...]) -> str:  # what `sh -c 'echo "x" >> FILE'` does
        with open(ex.merged / "big.log", "a") as fh:
            fh.write("x\n")
        return ""
    host = FakeHost({("sh", "-c"): shell}, strict=True)
    fakes(host=host)
    (ex.lower / "big.log").write_bytes(b"x" * 1000)
    (ex.merged / "big.log").write_bytes(b"x" * 1000)  # a plain folder here, not an overlay
    assert checks_storage.check_copy_up(ex, "big.log", ...).message == "not answered yet"
    assert (ex.merged / "big.log").stat().st_size == 1000, "a placeholder must not append"
    # No kernel copies up here, so upperdir stays empty: the check says so, after appending.
    rejected(checks_storage.check_copy_up(ex, "big.log", 1002), "make_exercise")
    out = capsys.readouterr().out
    assert out.startswith("$ sh -c ") and 'echo "x" >>' in out
    assert host.calls == [("sh", "-c", f'echo "x" >> {ex.merged / "big.log"}')]
    assert (ex.merged / "big.log").read_bytes() == b"x" * 1000 + b"x\n"
    (ex.upper / "big.log").write_bytes(b"x" * 1002)  # what copy-up would have left
    assert checks_storage.check_copy_up(ex, "big.log", 1002).passed
    assert (ex.merged / "big.log").stat().st_size == 1002, "with a copy up, no second append"


def test_copy_up_contract(ex) -> None:
    (ex.lower / "big.log").write_bytes(b"x" * 1000)
    (ex.upper / "big.log").write_bytes(b"x" * 1002)  # after the check's own append
    contract(lambda a: checks_storage.check_copy_up(ex, "big.log", a), [...],
             [2, 1000, "a lot", 1_048_578, 1001], 1002)


def test_copy_up_of_a_broken_overlay_is_rejected(ex) -> None:
    (ex.lower / "big.log").write_bytes(b"x" * 1000)
    (ex.upper / "big.log").write_bytes(b"x" * 10)
    rejected(checks_storage.check_copy_up(ex, "big.log", 1002), "make_exercise")


# -- 02.5 ------------------------------------------------------------------------------------
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


def docker_save_answer(top: Sequence[str]) -> Callable[[tuple[str, ...]], str]:
    """`docker save REF -o FILE`, faked: a docker-archive of one base layer and TOP on it."""
    def answer(argv: tuple[str, ...]) -> str:
        layers = [layer_tar(["etc/", "etc/issue.net", "etc/motd"]), layer_tar(top)]
        diff_ids = ["sha256:" + hashlib.sha256(x).hexdigest() for x in layers]
        config = json.dumps({"rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            files = {"c.json": config, "1/layer.tar": layers[0], "2/layer.tar": layers[1],
                     "manifest.json": b'[{"Config": "c.json", "RepoTags": ["mine:v1"], '
                                      b'"Layers": ["1/layer.tar", "2/layer.tar"]}]'}
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
def save_gives(tmp_path: Path, fakes: Callable[..., Fakes], monkeypatch):
    """`docker save` of the learner's image gives a top layer with the given entries."""
    lab = FakeLab(tmp_path / "lab")

    def give(top: Sequence[str]) -> FakeLab:
        cli = CliEngine(FakeClient())  # `docker save` is the docker CLI's, on this machine
        cli.answers[("docker", "save")] = lambda argv: (0, docker_save_answer(top)(argv), "")
        fakes(host=FakeHost({("tar", "-xf"): untar}, strict=True), system=cli.system())
        return lab
    return give


MINE = ["etc/", "etc/.wh.issue.net", "etc/.wh.skel"]


def test_tar_whiteouts_contract(save_gives, tmp_path: Path) -> None:
    lab = save_gives(MINE)
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
    lab = save_gives(lesson)
    rejected(checks_storage.check_tar_whiteouts(lab, "mine:v1", set(lesson[1::2])),
             "of your own")


def test_tar_whiteouts_of_a_step_that_deletes_nothing(save_gives) -> None:
    lab = save_gives(["etc/", "etc/new.conf"])
    rejected(checks_storage.check_tar_whiteouts(lab, "mine:v1", {"etc/.wh.new.conf"}),
             "remove something")


def test_tar_whiteouts_without_an_image_is_unanswered() -> None:
    result = checks_storage.check_tar_whiteouts(FakeLab(), None, {"etc/.wh.x"})
    assert result.message == "not answered yet" and "my_step" in result.hint


def test_build_step_placeholder_builds_nothing(capsys) -> None:
    assert layertar.build_step(FakeLab(), ...) is None
    assert "not answered yet" in capsys.readouterr().out
