"""What labkit says to a learner, in Chinese (labkit/base/i18n.py, labkit/locale/zh/).

Every `_()` message has a current Chinese translation with the same placeholders; the language
follows LABKIT_LANG, then the locale, English by default; a broken catalog means English; and
`./course lab --lang zh` opens the Chinese edition with JupyterLab's Chinese interface.
"""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labkit.base import i18n
from labkit.base.errors import LabkitError, UnknownImage
from labkit.images import catalog as image_catalog
from labkit.lab.exercises import CheckResult, reset_tries
from labkit.networking import checks, judges
from labkit.storage import imagesave

from .fakes.client import FakeClient, FakeContainer
from .fakes.seam import Fakes
from .test_checks_networking import FlagsLab

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import labkit_messages  # noqa: E402

NAME = re.compile(r"^[A-Za-z_]\w*$")
LOCALE_VARS = ("LABKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def clean_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in LOCALE_VARS:
        monkeypatch.delenv(var, raising=False)
    i18n.reload()
    reset_tries()
    yield
    i18n.reload()
    reset_tries()


@pytest.fixture(scope="module")
def catalog() -> tuple[object, object]:
    template = labkit_messages.extract()
    return labkit_messages.load(labkit_messages.catalog_path()), template


# -- the catalog ---------------------------------------------------------------------------
def test_every_message_has_a_current_chinese_translation(catalog: tuple) -> None:
    po, template = catalog
    problems = labkit_messages.problems(po, template)
    assert len(template) > 500  # the extraction found labkit's messages
    assert not problems, (
        f"{len(problems)} labkit message(s) without a current Chinese translation "
        "(run `python tools/labkit_messages.py update`, translate, drop `fuzzy`):\n"
        + "\n".join(f"  {p.why}: {p.message}" for p in problems))


def fields(text: str) -> set[str]:
    """Each replacement field as written: name, conversion and format spec (for a text that is
    never formatted and is no format string, its braces in order)."""
    found = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        parsed = [("", "not a name", "", "")]
    if any(name is not None and not NAME.match(name) for _lit, name, _spec, _conv in parsed):
        return {"braces " + "".join(c for c in text if c in "{}")}
    for _literal, name, spec, conversion in parsed:
        if name is not None:
            found.add(f"{{{name}{'!' + conversion if conversion else ''}"
                      f"{':' + spec if spec else ''}}}")
    return found


def test_the_translations_keep_every_placeholder(catalog: tuple) -> None:
    po, _template = catalog
    wrong = []
    for message in po:
        if not message.id or not message.string:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        chinese = message.string if isinstance(message.string, tuple) else (message.string,)
        want = set().union(*(fields(e) for e in english))
        for text in chinese:
            if fields(text) != want:
                wrong.append(f"{english[0]!r}: {sorted(fields(text))} != {sorted(want)}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_a_planted_english_change_is_reported(tmp_path: Path) -> None:
    (tmp_path / "labkit").mkdir()
    (tmp_path / "labkit" / "m.py").write_text(
        'from labkit.base.i18n import _\nA = _("the old words")\nB = _("kept")\n')
    assert labkit_messages.main(["update", "--root", str(tmp_path)]) == 0
    path = labkit_messages.catalog_path(root=tmp_path)
    po = labkit_messages.load(path)
    po.get("the old words").string = "旧的说法"
    po.get("kept").string = "保留"
    labkit_messages.save(po, path)
    assert labkit_messages.main(["status", "--root", str(tmp_path)]) == 0
    (tmp_path / "labkit" / "m.py").write_text(
        'from labkit.base.i18n import _\nA = _("the new words")\nB = _("kept")\n')
    assert labkit_messages.main(["status", "--root", str(tmp_path)]) == 1
    assert labkit_messages.main(["update", "--root", str(tmp_path)]) == 0
    po = labkit_messages.load(path)
    assert po.get("the new words").fuzzy
    assert labkit_messages.main(["status", "--root", str(tmp_path)]) == 1


# -- choosing the language -----------------------------------------------------------------
@pytest.mark.parametrize(("env", "lang"), [
    ({}, "en"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "en_GB:zh", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LABKIT_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LABKIT_LANG": "zh", "LANG": "C"}, "zh"),
])
def test_the_language_follows_labkit_lang_then_the_locale(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], lang: str) -> None:
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == lang


def test_the_setting_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    assert i18n._("not answered yet") == "not answered yet"
    monkeypatch.setenv("LABKIT_LANG", "zh")  # as a notebook does before labkit.start
    assert i18n._("not answered yet") == "还没有作答"


# -- a check, in both languages -------------------------------------------------------------
@pytest.fixture
def engine(fakes: Callable[..., Fakes]) -> dict[str, FakeContainer]:
    return fakes(client=FakeClient()).client.containers.found


def test_a_failed_check_speaks_chinese_with_labkit_lang_zh(
        monkeypatch: pytest.MonkeyPatch, engine: dict[str, FakeContainer]) -> None:
    monkeypatch.setenv("LABKIT_LANG", "zh")
    result = checks.check_reach_by_name(FlagsLab(engine), [], [])  # type: ignore[arg-type]
    assert not result.passed
    assert "默认网桥没有 DNS" in result.message and "ex-a" in result.message
    assert result.hint == "哪种网络带有 Docker 的内嵌 DNS 服务器？"
    shown = str(result)
    assert "[还没对]" in shown and "提示：" in shown and "NOT YET" not in shown


def test_a_failed_check_speaks_english_with_lang_c(
        monkeypatch: pytest.MonkeyPatch, engine: dict[str, FakeContainer]) -> None:
    monkeypatch.setenv("LANG", "C")
    result = checks.check_reach_by_name(FlagsLab(engine), [], [])  # type: ignore[arg-type]
    assert result.hint == "which kind of network has Docker's embedded DNS server?"
    assert "the default bridge has no DNS" in result.message
    assert str(result).startswith("[NOT YET] ") and "\n  hint: which kind" in str(result)


def test_placeholders_are_filled_in_the_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_LANG", "zh")
    result = judges.judge_publish("127.0.0.1:9000:80", 8080, 80)
    assert isinstance(result, CheckResult)
    assert result.message == "-p 127.0.0.1:9000:80 发布的是宿主机端口 9000，不是 8080"


def test_a_passing_result_and_a_placeholder_in_chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABKIT_LANG", "zh")
    assert str(CheckResult("03.2 x", True, "好")) == "[通过] 03.2 x: 好"
    result = judges.judge_publish(..., 8080, 80)
    assert result.message == "还没有作答"
    assert result.hint.startswith("把 `...` 换成docker run 的 -p 选项的值")



# -- the errors of the image and storage chapters ------------------------------------------
def test_a_storage_error_speaks_chinese_with_labkit_lang_zh(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LABKIT_LANG", "zh")
    with pytest.raises(LabkitError) as raised:
        imagesave.layout_of(tmp_path)  # an empty folder: no docker save was unpacked there
    assert raised.value.message == f"{tmp_path} 里既没有 manifest.json，也没有 index.json。"
    assert raised.value.hint == "把 `docker save` 的输出解包到那里（tar -xf IMAGE.tar -C FOLDER）"


def test_a_storage_error_is_unchanged_english_by_default(tmp_path: Path) -> None:
    with pytest.raises(LabkitError) as raised:
        imagesave.layout_of(tmp_path)
    assert str(raised.value) == (
        f"{tmp_path} holds no manifest.json and no index.json.\n"
        "  -> unpack the output of `docker save` there (tar -xf IMAGE.tar -C FOLDER)")


@pytest.mark.parametrize(("lang", "message", "hint_start"), [
    ("zh_CN.UTF-8", "这里没有名为 'labkit/nope' 的镜像，课程也无法制作它。",
     "检查拼写（`docker images` 会列出引擎里有的镜像）；课程自己的镜像有："),
    ("C", "There is no image called 'labkit/nope' here, and the course cannot make one.",
     "check the spelling (`docker images` lists what the engine has); the course's own images "
     "are: "),
])
def test_an_image_error_follows_the_language(
        monkeypatch: pytest.MonkeyPatch, lang: str, message: str, hint_start: str) -> None:
    monkeypatch.setenv("LANG", lang)
    with pytest.raises(UnknownImage) as raised:
        image_catalog.recipe_for("labkit/nope")
    assert raised.value.message == message
    assert raised.value.hint.startswith(hint_start)
    assert "labkit/redis:7.0" in raised.value.hint  # the known names are filled in

# -- a missing or broken catalog is English, never a traceback ------------------------------
@pytest.mark.parametrize("content", [None, b"msgid \"x\nthis is no catalog \xff\xfe", b""])
def test_a_broken_catalog_falls_back_to_english(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: bytes | None) -> None:
    po = tmp_path / "zh" / "LC_MESSAGES" / "labkit.po"
    if content is not None:
        po.parent.mkdir(parents=True)
        po.write_bytes(content)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setenv("LABKIT_LANG", "zh")
    i18n.reload()
    assert i18n._("not answered yet") == "not answered yet"
    assert i18n.ngettext("{n} item", "{n} items", 2) == "{n} items"


# -- JupyterLab in Chinese: ./course lab --lang zh ------------------------------------------
TRANSLATION = "@jupyterlab/translation-extension:plugin"


def test_the_chinese_overrides_add_only_the_locale_to_the_english_ones() -> None:
    english = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    chinese = json.loads((ROOT / "jupyter" / "overrides-zh.json").read_text())
    assert chinese.pop(TRANSLATION) == {"locale": "zh_CN"}
    assert chinese == english
    assert TRANSLATION not in english


def test_the_locale_setting_and_the_language_pack_exist() -> None:
    from importlib.metadata import entry_points

    schema = (Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas" / "@jupyterlab"
              / "translation-extension" / "plugin.json")
    assert "locale" in json.loads(schema.read_text())["properties"]
    assert "zh_CN" in {e.name for e in entry_points(group="jupyterlab.languagepack")}


def run_lab_branch(tmp_path: Path, *args: str) -> str:
    """The `lab)` branch of ./course, its helpers stubbed: what it would run, and with what."""
    course = (ROOT / "course").read_text()
    start = course.index("\n  lab)\n")
    branch = course[start:course.index("\n    ;;\n", start) + 8]
    script = tmp_path / "lab.sh"
    script.write_text(
        "set -euo pipefail\nhere=/H; venv=/V\n"
        'prepare() { echo "prepare $*"; }\ncjk_fonts() { echo cjk_fonts; }\n'
        "zh_editions() { echo zh_editions; }\ninstall() { echo \"install $*\"; }\n"
        'exec() { echo "exec $*"; echo "LABKIT_LANG=${LABKIT_LANG:-}"; }\n'
        'case "$1" in' + branch + "esac\n")
    env = {k: v for k, v in os.environ.items() if k != "LABKIT_LANG"}
    done = subprocess.run(["bash", str(script), "lab", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, check=False)
    return done.stdout + done.stderr + f"rc={done.returncode}"


def test_course_lab_opens_the_english_course_by_default(tmp_path: Path) -> None:
    out = run_lab_branch(tmp_path, "--port", "9999")
    assert "--ServerApp.root_dir=/H/notebooks --port 9999" in out
    assert "app_settings_dir" not in out and "LABKIT_LANG=\n" in out
    assert "zh_editions" not in out and "rc=0" in out


def test_course_lab_lang_zh_opens_the_chinese_edition_in_chinese(tmp_path: Path) -> None:
    out = run_lab_branch(tmp_path, "--lang", "zh", "--port", "9999")
    assert "zh_editions" in out  # dist/zh/student is missing here: built first
    assert "install -D -m 644 jupyter/overrides-zh.json /V/share/jupyter/lab/settings-zh/" in out
    assert ("--ServerApp.root_dir=/H/dist/zh/student "
            "--LabApp.app_settings_dir=/V/share/jupyter/lab/settings-zh --port 9999") in out
    assert "LABKIT_LANG=zh" in out and "cjk_fonts" in out and "rc=0" in out
    (tmp_path / "dist" / "zh" / "student").mkdir(parents=True)
    assert "zh_editions" not in run_lab_branch(tmp_path, "--lang=zh")


def test_course_lab_refuses_an_unknown_language(tmp_path: Path) -> None:
    out = run_lab_branch(tmp_path, "--lang", "fr")
    assert "--lang takes en or zh" in out and "rc=2" in out and "exec" not in out


def test_the_course_installs_the_cjk_font_for_tests_and_the_chinese_lab() -> None:
    course = (ROOT / "course").read_text()
    body = course[course.index("\ncjk_fonts() {"):]
    body = body[:body.index("\n}\n")]
    assert "apt-get install -y -q fonts-noto-cjk" in body and "dpkg-query" in body
    assert "_load_fontmanager(try_read_cache=False)" in body  # matplotlib sees the new font
    test_branch = course[course.index("\n  test)\n"):]
    assert "    cjk_fonts\n" in test_branch[:test_branch.index("\n    ;;\n")]


def test_a_chinese_notebook_makes_labkit_speak_chinese(tmp_path, monkeypatch) -> None:
    """Jupyter names the kernel's notebook in JPY_SESSION_NAME; the Chinese edition's metadata
    says zh, so its checks speak Chinese without LABKIT_LANG; LABKIT_LANG still wins."""
    from labkit.base import i18n

    for var in ("LABKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    zh = tmp_path / "04-namespaces.ipynb"
    zh.write_text('{"cells": [], "metadata": {"language": "zh"}, "nbformat": 4}')
    en = tmp_path / "en.ipynb"
    en.write_text('{"cells": [], "metadata": {}, "nbformat": 4}')
    monkeypatch.setenv("JPY_SESSION_NAME", str(zh))
    assert i18n.language() == "zh"
    monkeypatch.setenv("LABKIT_LANG", "en")
    assert i18n.language() == "en"
    monkeypatch.delenv("LABKIT_LANG")
    monkeypatch.setenv("JPY_SESSION_NAME", str(en))
    assert i18n.language() == "en"
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "gone.ipynb"))
    assert i18n.language() == "en"
