"""Chapter 01's exercise checks: each model answer passes, each wrong answer gets its hint, a
second wrong try of the same exercise a second hint, and a placeholder left as `...` is "not
answered yet" (no exception)."""

from __future__ import annotations

import hashlib
import random
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from labkit.building import checks as cb
from labkit.building.dockerignore import write_tree
from labkit.building.frontapp import Fetched
from labkit.lab.exercises import reset_tries
from labkit.lessons.registry import LocalRegistry

from .fakes.client import FakeClient, FakeContainer
from .fakes.lab import FakeLab
from .fakes.seam import Fakes
from .http_servers import QuietHandler, serving


@pytest.fixture(autouse=True)
def fresh_tries() -> Iterator[None]:
    reset_tries()
    yield
    reset_tries()


def second_try(check: Callable[[], Any]) -> tuple[Any, Any]:
    """The same wrong answer checked twice: (first verdict, second verdict)."""
    return check(), check()


def assert_hints(first: Any, second: Any, hint: str, more: str) -> None:
    """Both tries fail; the first gives HINT and no second hint, the second adds MORE."""
    assert not first.passed and not second.passed
    assert hint in first.hint and first.more == "" and "hint 2" not in str(first)
    assert more in second.more and f"hint 2: {second.more}" in str(second)
    assert first.message != "not answered yet"


# -- placeholders left as they are ---------------------------------------------------------------


class Untouchable:
    """A lab, registry or folder a placeholder answer must never reach."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"an unanswered exercise used .{name}")

    def __fspath__(self) -> str:
        raise AssertionError("an unanswered exercise used the folder")


NOTHING: Any = Untouchable()


@pytest.mark.parametrize("call", [
    lambda a: cb.check_spa_config(NOTHING, NOTHING, a),
    lambda a: cb.check_dockerignore(NOTHING, a),
    lambda a: cb.check_platforms(NOTHING, "platform-quiz:multi", a),
    lambda a: cb.check_no_new_layer(NOTHING, NOTHING, a),
], ids=["01.1", "01.2", "01.3", "01.4"])
@pytest.mark.parametrize("placeholder", [..., None, "", "TODO", [...]])
def test_a_placeholder_is_not_answered_yet(call: Callable[[Any], Any], placeholder: Any) -> None:
    result = call(placeholder)
    assert not result.passed and result.message == "not answered yet"
    assert "replace the `...`" in result.hint and result.tries == 0
    assert "NOT YET" in str(result)
    again = call(placeholder)  # an unanswered exercise is no try: no second hint
    assert again.more == "" and again.tries == 0


# -- 01.1 -------------------------------------------------------------------------------------


def page(path: str, status: int = 200, ctype: str = "text/html", title: str = "Front App"):
    return Fetched(path, status, ctype, 10, title, b"")


GOOD_SPA = {"deep link": page("/orders/42"),
            "asset": page("/assets/app.css", ctype="text/css", title=""),
            "missing asset": page("/assets/missing.css", 404, title="404 Not Found")}
MODEL_BLOCK = """
location /assets/ {
    root /usr/local/web;
    try_files $uri =404;
}
"""


def test_spa_model_answer_passes() -> None:
    result = cb.judge_spa(GOOD_SPA)
    assert result.passed and "404" in result.message


@pytest.mark.parametrize("key,answer,hint,more", [
    ("missing asset", page("/assets/missing.css"), "a location of its own", "LAST entry"),
    ("deep link", page("/orders/42", 404, title="404 Not Found"), "leave that location",
     "longest prefix"),
    ("asset", page("/assets/app.css", 404, title="404 Not Found"), "find the file on disk",
     "joined with the WHOLE path"),
    ("asset", page("/assets/app.css", ctype="application/octet-stream", title=""), "text/css",
     "/usr/local/web/assets/app.css"),
])
def test_spa_wrong_answers_get_hints(key: str, answer: Fetched, hint: str, more: str) -> None:
    assert_hints(*second_try(lambda: cb.judge_spa({**GOOD_SPA, key: answer})), hint, more)


def test_spa_first_hint_does_not_give_the_block() -> None:
    for key, answer in [("missing asset", page("/assets/missing.css")),
                        ("asset", page("/assets/app.css", 404))]:
        first, second = second_try(lambda: cb.judge_spa({**GOOD_SPA, key: answer}))  # noqa: B023
        for text in (first.hint, second.more):
            assert "=404" not in text and "location /assets/ {" not in text


def test_add_to_server_puts_the_block_ahead_of_location_root() -> None:
    conf = cb.add_to_server(cb.sample_conf(), MODEL_BLOCK)
    server = conf[conf.index("server {"):]
    assert server.index("location /assets/ {") < server.index("location / {")
    assert "\n        location /assets/ {\n            root /usr/local/web;\n" in conf
    assert conf.count("location / {") == 1


def test_nginx_error_hint_reads_the_log() -> None:
    assert "duplicate" in cb.nginx_error_hint('nginx: [emerg] duplicate location "/" in ...')
    line = cb.sample_conf().splitlines().index(cb.SERVER_ROOT) + 1
    assert f"line {line}" in cb.nginx_error_hint('nginx: [emerg] unexpected "}" in ...')


class NginxLike(QuietHandler):
    """Answers as the front app's nginx does: `=404` in the built config makes a missing asset
    a 404 (the real nginx is in tests/engine/test_ch01_checks.py)."""

    conf = ""
    index = b"<html><title>Front App</title></html>"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/assets/app.css":
            self.reply(200, b"body{}", (("Content-Type", "text/css"),))
        elif self.path.startswith("/assets/") and "=404" in self.conf:
            self.reply(404, b"<title>404 Not Found</title>", (("Content-Type", "text/html"),))
        else:
            self.reply(200, self.index, (("Content-Type", "text/html"),))


class SpaLab(FakeLab):
    """A lab whose build keeps the nginx.conf it was given and whose run publishes PORT."""

    def __init__(self, root: Path, handler: type[NginxLike], port: int,
                 logs: bytes = b"") -> None:
        super().__init__(root)
        self.handler, self.port, self.logs = handler, port, logs
        self.started: list[FakeContainer] = []

    def build(self, folder: Path, tag: str, **_: Any) -> SimpleNamespace:
        self.handler.conf = Path(folder, "nginx.conf").read_text()
        return SimpleNamespace(tag=tag)

    def run(self, image: str, **_: Any) -> FakeContainer:
        bound = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(self.port)}]}
        container = FakeContainer("front-exercise", ports=bound, running=not self.logs)
        container.logs = lambda **_: self.logs  # type: ignore[method-assign]
        self.started.append(container)
        return container


def test_check_spa_config_builds_runs_and_asks_the_learners_config(tmp_path: Path) -> None:
    class Handler(NginxLike):
        pass

    with serving(Handler) as port:
        lab = SpaLab(tmp_path, Handler, port)
        folder = cb.spa_exercise(lab)  # type: ignore[arg-type]
        wrong = cb.check_spa_config(lab, folder, "# nothing yet\n")  # type: ignore[arg-type]
        assert not wrong.passed and "/assets/missing.css answered 200" in wrong.message
        right = cb.check_spa_config(lab, folder, MODEL_BLOCK)  # type: ignore[arg-type]
    assert right.passed, right
    assert Handler.conf.count("location /assets/ {") == 1  # a fresh config on every try
    assert all(c.removed for c in lab.started)


def test_check_spa_config_explains_a_config_nginx_refused(tmp_path: Path,
                                                          clock: Any) -> None:
    class Handler(NginxLike):
        pass

    with serving(Handler) as port:
        log = b'nginx: [emerg] duplicate location "/" in /etc/nginx/nginx.conf:28'
        lab = SpaLab(tmp_path, Handler, port + 1 if port < 65535 else port - 1, logs=log)
        folder = cb.spa_exercise(lab)  # type: ignore[arg-type]
        answer = "location / { try_files $uri =404; }"
        first, second = second_try(lambda: cb.check_spa_config(lab, folder, answer))  # type: ignore[arg-type]
    assert_hints(first, second, "every directive ends with `;`", "duplicate")
    assert "nginx did not start" in first.message and "duplicate location" in first.message


def test_check_spa_config_wants_a_string() -> None:
    result = cb.check_spa_config(NOTHING, NOTHING, ["location /assets/ {"])
    assert not result.passed and "one string" in result.hint


# -- 01.2 -------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path, cb.IGNORE_FILES)


MODEL = ".env*\n!.env.example\n**/__pycache__/\ndocs/internal/\n"


def test_dockerignore_model_answer_passes(project: Path) -> None:
    result = cb.check_dockerignore(project, MODEL)
    assert result.passed
    assert ".env.example" in result.message and "config/.env.defaults" in result.message
    assert ".env.local" not in result.message and "__pycache__" not in result.message
    assert (project / ".dockerignore").read_text() == MODEL


@pytest.mark.parametrize("rules,hint,more", [
    ("!.env.example\n**/__pycache__/\ndocs/internal/\n", "any characters of one name",
     "one rule can match"),
    (".env\n**/__pycache__/\ndocs/internal/\n", "any characters", "one rule"),
    (".env*\n**/__pycache__/\ndocs/internal/\n", "`!` sends a path again", "the last one"),
    ("!.env.example\n.env*\n**/__pycache__/\ndocs/internal/\n", "`!`", "the last one"),
    (".env*\n!.env.example\n__pycache__/\ndocs/internal/\n", "`*` never crosses",
     "section 3's table"),
    (".env*\n!.env.example\n*/__pycache__/\ndocs/internal/\n", "whole path", "every folder"),
    (".env*\n!.env.example\n**/__pycache__/\n", "names a folder", None),
    (".env*\n!.env.example\n**/__pycache__/\ndocs/\n", "as narrow as the task",
     "docs/guide.md"),
    ("**/.env*\n!.env.example\n**/__pycache__/\ndocs/internal/\n", "as narrow",
     "config/.env.defaults"),
])
def test_dockerignore_wrong_answers_get_hints(project: Path, rules: str, hint: str,
                                              more: str | None) -> None:
    first, second = second_try(lambda: cb.check_dockerignore(project, rules))
    if more is None:  # one hint is all there is
        assert not second.passed and hint in first.hint and second.more == ""
    else:
        assert_hints(first, second, hint, more)


def test_dockerignore_wants_a_string(project: Path) -> None:
    result = cb.check_dockerignore(project, ["tests/"])
    assert not result.passed and "one string" in result.hint


# -- 01.3 -------------------------------------------------------------------------------------

TRUTH = ["linux/386", "linux/arm64", "linux/s390x"]


def test_platforms_model_answer_passes_in_any_order() -> None:
    result = cb.judge_platforms(TRUTH, ["linux/S390X", "linux/arm64", " Linux/386 "])
    assert result.passed and "exactly" in result.message


@pytest.mark.parametrize("given,hint,more", [
    (["linux/amd64", "linux/arm64"], "ask the registry", "manifest inspect"),
    (["linux/arm64"], "new each time", "platform.architecture"),
    ([*TRUTH, "linux/ppc64le"], "not an earlier cell", "platform.os"),
])
def test_platforms_wrong_answers_get_hints(given: object, hint: str, more: str) -> None:
    assert_hints(*second_try(lambda: cb.judge_platforms(TRUTH, given)), hint, more)


@pytest.mark.parametrize("given,hint", [
    ("linux/amd64, linux/arm64", "a list of strings"),
    (["arm64", "s390x"], "os/architecture"),
])
def test_platforms_badly_shaped_answers_get_hints(given: object, hint: str) -> None:
    result = cb.judge_platforms(TRUTH, given)
    assert not result.passed and hint in result.hint


def test_platforms_message_does_not_give_the_missing_ones_away() -> None:
    result = cb.judge_platforms(TRUTH, ["linux/arm64", "linux/mips64le"])
    assert "2 of the list's platforms are missing" in result.message
    assert "s390x" not in result.message and "linux/mips64le" in result.message


def test_quiz_platforms_are_never_the_notebooks_pair() -> None:
    rng = random.Random(1)
    drawn = [cb.quiz_platforms(rng) for _ in range(200)]
    assert all(2 <= len(d) <= 3 and set(d) <= set(cb.QUIZ_PLATFORMS) for d in drawn)
    assert {len(d) for d in drawn} == {2, 3}
    assert all(set(d) != {"linux/amd64", "linux/arm64"} for d in drawn)
    assert len({tuple(d) for d in drawn}) > 20  # a fresh set each time, not one answer


class FakeRegistry:
    address = "127.0.0.1:5000"
    ref = LocalRegistry.ref
    manifest = LocalRegistry.manifest  # the real path-building, over the fake `api` below

    def __init__(self, doc: dict) -> None:
        self.doc = doc
        self.asked: list[tuple[str, str | None]] = []

    def api(self, path: str, accept: str | None = None) -> dict:
        self.asked.append((path, accept))
        return self.doc


def listing(platforms: list[str]) -> dict:
    return {"manifests": [{"platform": dict(zip(("os", "architecture"), p.split("/"),
                                                strict=True))} for p in platforms]}


def test_check_platforms_reads_the_list_from_the_registry() -> None:
    reg: Any = FakeRegistry(listing(TRUTH))
    assert cb.check_platforms(reg, "127.0.0.1:5000/platform-quiz:multi", TRUTH).passed
    path, accept = reg.asked[0]
    assert path == "/v2/platform-quiz/manifests/multi" and "manifest.list" in str(accept)
    assert not cb.check_platforms(reg, "platform-quiz:multi", TRUTH[:1]).passed


def test_check_platforms_explains_a_missing_list() -> None:
    from labkit.base.errors import LabkitError

    with pytest.raises(LabkitError, match="not a manifest list"):
        cb.check_platforms(FakeRegistry({"layers": []}), "tinybox:amd64", TRUTH)  # type: ignore[arg-type]


class QuizLab(FakeLab):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.builds: list[tuple[str, str, str]] = []

    def build(self, folder: Path, tag: str, *, platform: str, show: bool = True,
              **_: Any) -> SimpleNamespace:
        assert not show  # the quiz's builds would print the answer
        self.builds.append((tag, platform, Path(folder, "Dockerfile").read_text()))
        return SimpleNamespace(tag=tag)


def test_platform_quiz_pushes_one_image_per_platform_and_joins_them(
        tmp_path: Path, fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    from .fakes.cli_engine import CliEngine

    fake_client = FakeClient()
    cli = CliEngine(fake_client)

    def pushed(argv: list[str]) -> tuple[int, str, str]:
        digest = "sha256:" + hashlib.sha256(argv[-1].encode()).hexdigest()
        return 0, f"{argv[-1].rsplit(':', 1)[1]}: digest: {digest} size: 528\n", ""

    cli.answers[("docker", "push")] = pushed
    cli.answers[("docker", "--config")] = (0, "", "")
    fakes(client=fake_client, system=cli.system())
    lab = QuizLab(tmp_path)
    reg: Any = FakeRegistry({})
    multi = cb.platform_quiz(lab, reg, tmp_path / "cfg", chosen=TRUTH)  # type: ignore[arg-type]
    assert multi == "127.0.0.1:5000/platform-quiz:multi"
    assert [(t, p) for t, p, _ in lab.builds] == [
        ("127.0.0.1:5000/platform-quiz:386", "linux/386"),
        ("127.0.0.1:5000/platform-quiz:arm64", "linux/arm64"),
        ("127.0.0.1:5000/platform-quiz:s390x", "linux/s390x")]
    assert all(d.startswith("FROM scratch") and "RUN" not in d for _, _, d in lab.builds)
    ran = [argv for argv, _ in cli.calls]
    assert ran[:3] == [["docker", "push", f"127.0.0.1:5000/platform-quiz:{a}"]
                       for a in ("386", "arm64", "s390x")]
    create, push = ran[3:]
    assert create[:5] == ["docker", "--config", str(tmp_path / "cfg"), "manifest", "create"]
    assert create[-3:] == [t for t, _, _ in lab.builds] and multi in create
    assert push[3:5] == ["manifest", "push"] and push[-1] == multi
    out = capsys.readouterr().out
    assert multi in out and "s390x" not in out  # the cell's output gives nothing away


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


@pytest.mark.parametrize("new,hint,more", [
    (BEFORE, "add one instruction", "sets metadata"),
    (after("RUN touch /x", 6, "sha256:2"), "changed FILES", "add a layer when they change files"),
    (after("ARG UNUSED", 5, "sha256:1"), "follows from its config", "ARG only feeds the build"),
])
def test_layers_wrong_answers_get_hints(new: cb.BuiltImage, hint: str, more: str) -> None:
    assert_hints(*second_try(lambda: cb.judge_layers(BEFORE, new)), hint, more)


def test_layers_a_lost_layer_is_explained() -> None:
    result = cb.judge_layers(BEFORE, cb.BuiltImage(("FROM busybox", "LABEL a=b"), 4, "x"))
    assert not result.passed and "keep the COPY" in result.hint


class LayerLab(FakeLab):
    """A lab whose build models the one rule the exercise teaches: RUN, COPY and ADD add a
    layer, ARG changes nothing in the config, every other instruction changes only the config
    (the real builders are in tests/engine/test_ch01_checks.py)."""

    def __init__(self, root: Path, fake_client: FakeClient) -> None:
        super().__init__(root)
        self.client = fake_client

    def workdir(self, name: str) -> Path:
        """A fresh folder each time, as Lab.workdir makes it."""
        shutil.rmtree(self.root / name, ignore_errors=True)  # type: ignore[operator]
        return super().workdir(name)

    def build(self, folder: Path, tag: str, **_: Any) -> SimpleNamespace:
        steps = cb.instructions(Path(folder, "Dockerfile").read_text())
        if any(s.split()[0] == "LABLE" for s in steps):
            from labkit.base.errors import LabkitError

            raise LabkitError("unknown instruction: LABLE", "check the Dockerfile")
        layers = 1 + sum(s.split()[0] in {"RUN", "COPY", "ADD"} for s in steps)
        config = "\n".join(s for s in steps if not s.startswith("ARG "))
        image_id = "sha256:" + hashlib.sha256(config.encode()).hexdigest()
        self.client.images.put(tag, attrs={"Id": image_id,
                                           "RootFS": {"Layers": ["l"] * layers}})
        return SimpleNamespace(tag=tag, image_id=tag)


@pytest.fixture
def layer_lab(tmp_path: Path, fakes: Callable[..., Fakes]) -> LayerLab:
    fake_client = FakeClient()
    fakes(client=fake_client)
    return LayerLab(tmp_path, fake_client)


def test_check_no_new_layer_builds_the_learners_instruction(layer_lab: LayerLab) -> None:
    folder = cb.layer_exercise(layer_lab)  # type: ignore[arg-type]
    first, second = second_try(
        lambda: cb.check_no_new_layer(layer_lab, folder, "RUN echo hi > /x"))  # type: ignore[arg-type]
    assert_hints(first, second, "changed FILES", "RUN, COPY and ADD")
    assert "2 layers" in first.message or "3 layers" in first.message
    right = cb.check_no_new_layer(layer_lab, folder,  # type: ignore[arg-type]
                                  'LABEL org.opencontainers.image.title="greeting"')
    assert right.passed, right
    # each try starts from the original Dockerfile: one added line, never two
    assert (folder / "Dockerfile").read_text().count("\n") == 4
    typo = cb.check_no_new_layer(layer_lab, folder, "LABLE x=1")  # type: ignore[arg-type]
    assert not typo.passed and "does not build" in typo.message


def test_check_no_new_layer_wants_a_string() -> None:
    result = cb.check_no_new_layer(NOTHING, NOTHING, 3)
    assert not result.passed and "one string" in result.hint
