"""Chapter 01's exercise checks: each model answer passes, each wrong answer gets its hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.building import checks as cb
from labkit.building.dockerignore import write_tree
from labkit.building.frontapp import Fetched
from labkit.lessons.registry import LocalRegistry

# -- 01.1 -------------------------------------------------------------------------------------


def page(path: str, status: int = 200, ctype: str = "text/html", title: str = "Front App"):
    return Fetched(path, status, ctype, 10, title, b"")


GOOD_SPA = {"deep link": page("/orders/42"),
            "asset": page("/assets/app.css", ctype="text/css", title=""),
            "missing asset": page("/assets/missing.css", 404, title="404 Not Found")}


def test_spa_model_answer_passes() -> None:
    result = cb.judge_spa(GOOD_SPA)
    assert result.passed and "404" in result.message


@pytest.mark.parametrize("key,answer,hint", [
    ("missing asset", page("/assets/missing.css"), "try_files $uri =404"),
    ("deep link", page("/orders/42", 404, title="404 Not Found"), "/index.html"),
    ("asset", page("/assets/app.css", ctype="application/octet-stream", title=""),
     "mime.types"),
])
def test_spa_wrong_answers_get_hints(key: str, answer: Fetched, hint: str) -> None:
    result = cb.judge_spa({**GOOD_SPA, key: answer})
    assert not result.passed and hint in result.hint
    assert "NOT YET" in str(result) and "hint:" in str(result)


# -- 01.2 -------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path, cb.IGNORE_FILES)


def answer(project: Path, rules: str):
    (project / ".dockerignore").write_text(rules)
    return cb.check_dockerignore(project)


def test_dockerignore_model_answer_passes(project: Path) -> None:
    result = answer(project, "tests/\n**/*.log\n!logs/audit.log\n")
    assert result.passed
    assert "logs/audit.log" in result.message and "tests/" not in result.message


def test_dockerignore_missing_file(project: Path) -> None:
    result = cb.check_dockerignore(project)
    assert not result.passed and "create the file" in result.hint


@pytest.mark.parametrize("rules,hint", [
    ("**/*.log\n!logs/audit.log\n", "`tests/`"),
    ("tests/\n*.log\n!logs/audit.log\n", "`*.log` matches only at the top"),
    ("tests/\napp.log\n", "add `**/*.log`"),
    ("tests/\n**/*.log\n", "`!logs/audit.log` AFTER"),
    ("tests/\n!logs/audit.log\n**/*.log\n", "the last matching line wins"),
    ("tests/\nsrc/\n**/*.log\n!logs/audit.log\n", "as narrow as the task"),
])
def test_dockerignore_wrong_answers_get_hints(project: Path, rules: str, hint: str) -> None:
    result = answer(project, rules)
    assert not result.passed
    assert hint in result.hint


# -- 01.3 -------------------------------------------------------------------------------------

TRUTH = ["linux/amd64", "linux/arm64"]


def test_platforms_model_answer_passes_in_any_order() -> None:
    assert cb.judge_platforms(TRUTH, ["linux/arm64", "Linux/AMD64 "]).passed


@pytest.mark.parametrize("given,hint", [
    ("linux/amd64, linux/arm64", "a list of strings"),
    (["amd64", "arm64"], "os/architecture"),
    (["linux/amd64"], "docker manifest inspect"),
    (["linux/amd64", "linux/arm64", "linux/s390x"], "docker manifest inspect"),
])
def test_platforms_wrong_answers_get_hints(given: object, hint: str) -> None:
    result = cb.judge_platforms(TRUTH, given)
    assert not result.passed and hint in result.hint


def test_platforms_message_names_what_is_missing_and_extra() -> None:
    result = cb.judge_platforms(TRUTH, ["linux/amd64", "linux/s390x"])
    assert "missing linux/arm64" in result.message and "linux/s390x" in result.message


class FakeRegistry:
    address = "127.0.0.1:5000"
    manifest = LocalRegistry.manifest  # the real path-building, over the fake `api` below

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.asked: list[tuple[str, str | None]] = []

    def api(self, path: str, accept: str | None = None) -> dict:
        self.asked.append((path, accept))
        return self.doc


def test_check_platforms_reads_the_list_from_the_registry() -> None:
    doc = {"manifests": [{"platform": {"os": "linux", "architecture": a}}
                         for a in ("amd64", "arm64")]}
    reg = FakeRegistry(doc)
    assert cb.check_platforms(reg, "tinybox:multi", TRUTH).passed  # type: ignore[arg-type]
    path, accept = reg.asked[0]
    assert path == "/v2/tinybox/manifests/multi" and "manifest.list" in str(accept)
    assert not cb.check_platforms(reg, "tinybox:multi", TRUTH[:1]).passed  # type: ignore[arg-type]


def test_check_platforms_explains_a_missing_list() -> None:
    from labkit.base.errors import LabkitError

    with pytest.raises(LabkitError, match="not a manifest list"):
        cb.check_platforms(FakeRegistry({"layers": []}), "tinybox:amd64", TRUTH)  # type: ignore[arg-type]


# -- 01.4 -------------------------------------------------------------------------------------


def test_instructions_drop_comments_and_join_continuations() -> None:
    text = "# c\nFROM busybox\n\nRUN a \\\n  && b\nCMD [\"sh\"]\n"
    assert cb.instructions(text) == ("FROM busybox", "RUN a && b", 'CMD ["sh"]')


BEFORE = cb.BuiltImage(cb.instructions(cb.LAYER_FILES["Dockerfile"]), 5, "sha256:1")


def after(extra: str, layers: int, image_id: str) -> cb.BuiltImage:
    return cb.BuiltImage(BEFORE.instructions + (extra,), layers, image_id)


def test_layers_model_answer_passes() -> None:
    result = cb.judge_layers(BEFORE, after("LABEL a=b", 5, "sha256:2"))
    assert result.passed and "LABEL a=b" in result.message


@pytest.mark.parametrize("new,hint", [
    (BEFORE, "add one instruction"),
    (after("RUN touch /x", 6, "sha256:2"), "RUN, COPY and ADD add a layer"),
    (cb.BuiltImage(("FROM busybox", "LABEL a=b"), 4, "sha256:2"), "keep the COPY"),
    (after("ARG UNUSED", 5, "sha256:1"), "changes the config"),
])
def test_layers_wrong_answers_get_hints(new: cb.BuiltImage, hint: str) -> None:
    result = cb.judge_layers(BEFORE, new)
    assert not result.passed and hint in result.hint
