"""Exercise checks of chapter 01: each returns a CheckResult with a hint for a wrong answer.

Taught in: 01-building-images (exercises 01.1 to 01.4). Each check takes the learner's answer
(nginx lines, .dockerignore rules, a list of platforms, a Dockerfile instruction); a `...` left
in its place is "not answered yet". Each works from the answer itself: it builds and runs the
learner's config, measures what the rules send, reads a manifest list made fresh for the
learner (`platform_quiz`), or builds the learner's Dockerfile.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.building import frontapp
from labkit.building.buildctx import measure
from labkit.building.buildhistory import layer_count
from labkit.building.dockerignore import write_tree

# 01.3 lives in its own module; the notebook calls it here, as checks.check_platforms.
from labkit.building.platformquiz import PLATFORMS as PLATFORMS
from labkit.building.platformquiz import QUIZ_DOCKERFILE as QUIZ_DOCKERFILE
from labkit.building.platformquiz import QUIZ_NAME as QUIZ_NAME
from labkit.building.platformquiz import QUIZ_PLATFORMS as QUIZ_PLATFORMS
from labkit.building.platformquiz import check_platforms as check_platforms
from labkit.building.platformquiz import judge_platforms as judge_platforms
from labkit.building.platformquiz import platform_quiz as platform_quiz
from labkit.building.platformquiz import quiz_platforms as quiz_platforms
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab

# -- 01.1 a single-page app that still answers 404 for a missing asset ----------------------

SPA = "01.1 nginx for a single-page app"
SPA_PATHS = {"deep link": "/orders/42", "asset": "/assets/app.css",
             "missing asset": "/assets/missing.css"}


def spa_exercise(lab: Lab) -> Path:
    """A fresh copy of the front-app project for exercise 01.1 (the check edits its nginx.conf)."""
    return frontapp.copy_sample(lab, "exercise-01-1")


SERVER_ROOT = "        location / {"


def sample_conf() -> str:
    """The front-app project's nginx.conf as the course ships it (the exercise starts there)."""
    return resources.files("labkit").joinpath("assets", *frontapp.SAMPLE, "nginx.conf").read_text()


def add_to_server(conf: str, block: str) -> str:
    """nginx.conf with BLOCK (nginx lines) added to its `server` block, ahead of `location /`.

    Raises:
        LabkitError: the config has no `location / {` line to put the block in front of.
    """
    if SERVER_ROOT not in conf:
        raise LabkitError(_("nginx.conf has no `location / {` line any more."),
                          _("run the exercise cell again: it starts from a fresh copy"))
    lines = textwrap.indent(textwrap.dedent(block).strip("\n"), " " * 8)
    return conf.replace(SERVER_ROOT, lines + "\n\n" + SERVER_ROOT, 1)


def nginx_error_hint(log: str) -> str:
    """The second hint for a config nginx refused, from the error in its log."""
    if "duplicate location" in log:
        return _("the server block already has `location /`: a second one is a duplicate; "
                 "add only a location for /assets/")
    first = sample_conf().splitlines().index(SERVER_ROOT) + 1
    return _("the error names a line of the whole nginx.conf: your lines start at line {first} "
             "(`cat` the file in the exercise folder to see them in place)").format(first=first)


def judge_spa(answers: Mapping[str, frontapp.Fetched]) -> CheckResult:
    """The verdict on what nginx answered for SPA_PATHS (keys: deep link, asset, missing asset)."""
    deep, asset, missing = (answers[k] for k in ("deep link", "asset", "missing asset"))
    if deep.status != 200 or deep.title != "Front App":
        return failed(
            SPA,
            _("{path} answered {status}, not the app's index.html.").format(
                path=deep.path, status=deep.status
            ),
            _(
                "a page path of the app is no file: `location /` still has to answer it "
                "with index.html, so leave that location as it is"
            ),
            _(
                "nginx picks the location with the longest prefix that matches: make "
                "your new location's prefix /assets/, so it never catches /orders/42"
            ),
        )
    if asset.status != 200 or not asset.content_type.startswith("text/css"):
        return failed(
            SPA,
            _("{path} answered {status} {content_type!r}.").format(
                path=asset.path, status=asset.status, content_type=asset.content_type
            ),
            _(
                "an existing asset must still be served, as text/css: in your location, "
                "nginx has to find the file on disk"
            ),
            _(
                "`root` is joined with the WHOLE path, /assets/ included: with root "
                "/usr/local/web, /assets/app.css is /usr/local/web/assets/app.css"
            ),
        )
    if missing.status != 404:
        return failed(
            SPA,
            _(
                "{path} answered {status} ({content_type}): the app's index.html, not an error."
            ).format(path=missing.path, status=missing.status, content_type=missing.content_type),
            _(
                "under /assets/, a missing file should not fall back to index.html: give "
                "/assets/ a location of its own, whose last resort is an error"
            ),
            _(
                "`try_files` tries its entries in order and its LAST entry is what "
                "happens when none exists: a URI (like /index.html) or `=CODE`"
            ),
        )
    return passed(
        SPA,
        _("{path} -> index.html, {path2} -> {content_type}, {path3} -> 404.").format(
            path=deep.path, path2=asset.path, content_type=asset.content_type, path3=missing.path
        ),
    )


def check_spa_config(lab: Lab, folder: str | Path, block: object) -> CheckResult:
    """Exercise 01.1: add BLOCK to the server block of FOLDER's nginx.conf (fresh each time),
    build the project, run it on 127.0.0.1 and ask it three paths."""
    if is_unanswered(block):
        return unanswered(SPA, _("the nginx lines to add to the server block, as one string"))
    if not isinstance(block, str):
        return failed(
            SPA,
            _("the answer is a {name}, not a string.").format(name=type(block).__name__),
            _('write the nginx lines as one string, e.g. """location ... { ... }"""'),
        )
    Path(folder, "nginx.conf").write_text(add_to_server(sample_conf(), block))
    try:
        image = lab.build(folder, "front-app:exercise").tag
    except LabkitError as exc:
        return failed(SPA, _("The project does not build: {message}").format(message=exc.message),
                      _("read the build error; the Dockerfile should not need changes"))
    container = lab.run(image, flags=["-p", "127.0.0.1::80"])
    try:
        try:
            port = frontapp.host_port(container)
            frontapp.wait_until_serving(port, timeout=10, container=container)
        except LabkitError:
            log = container.logs(tail=3).decode(errors="replace").strip()
            return failed(SPA, _("nginx did not start: {value}").format(value=log or 'no log'),
                          _("nginx refused the config: every directive ends with `;` and every "
                            "`{` needs its `}`"), nginx_error_hint(log))
        answers = {k: frontapp.fetch(port, p) for k, p in SPA_PATHS.items()}
    finally:
        container.remove(force=True)
    return judge_spa(answers)


# -- 01.2 a .dockerignore --------------------------------------------------------------------

IGNORE = "01.2 .dockerignore"
KEEP = ".env.example"
SECRETS = (".env", ".env.local", ".env.production")
INTERNAL = "docs/internal/"
IGNORE_FILES = {
    "Dockerfile": "FROM labkit/busybox\nCOPY . /app/\n",
    "README.md": "# service\n",
    ".env": "DB_PASSWORD=real-and-secret\n",
    ".env.local": "DB_PASSWORD=mine\n",
    ".env.production": "DB_PASSWORD=production\n",
    KEEP: "DB_PASSWORD=\n",
    "src/app.py": "print('hi')\n",
    "src/__pycache__/app.cpython-311.pyc": "bytecode\n",
    "src/jobs/worker.py": "X = 1\n",
    "src/jobs/__pycache__/worker.cpython-311.pyc": "bytecode\n",
    "__pycache__/setup.cpython-311.pyc": "bytecode\n",
    "docs/guide.md": "how to use it\n",
    "docs/internal/oncall.md": "who to call at night\n",
    "config/.env.defaults": "LOG_LEVEL=info\n",
}


def dockerignore_exercise(lab: Lab) -> Path:
    """The project of exercise 01.2: write its .dockerignore."""
    return write_tree(lab.workdir("exercise-01-2"), IGNORE_FILES)


def judge_dockerignore(sent: set[str], files: Sequence[str] = tuple(IGNORE_FILES)
                       ) -> CheckResult:
    """The verdict on the files a .dockerignore lets through (relative paths)."""
    secrets = sorted(f for f in SECRETS if f in sent)
    if secrets:
        return failed(IGNORE, _("still sent: {secrets}.").format(secrets=', '.join(secrets)),
                      _("a `*` in a rule stands for any characters of one name (never a `/`)"),
                      _("one rule can match every one of these names at the top; then look at "
                        "what it did to {keep}").format(keep=KEEP))
    if KEEP not in sent:
        return failed(IGNORE, _("{keep} is left out, but the image needs it.").format(keep=KEEP),
                      _("a rule that starts with `!` sends a path again"),
                      _("of all the lines that match a path, the last one decides"))
    cached = sorted(f for f in sent if "__pycache__/" in f)
    if cached:
        return failed(IGNORE, _("still sent: {cached}.").format(cached=', '.join(cached)),
                      _("a rule is matched against the whole path from the root of the context, "
                        "and `*` never crosses a `/`"),
                      _("section 3's table has a pattern for 'in every folder, the top included'"))
    internal = sorted(f for f in sent if f.startswith(INTERNAL))
    if internal:
        return failed(IGNORE, _("still sent: {internal}.").format(internal=', '.join(internal)),
                      _("a rule that names a folder leaves out everything in it"))
    lost = sorted(f for f in files if f not in sent and f not in SECRETS
                  and "__pycache__/" not in f and not f.startswith(INTERNAL))
    if lost:
        return failed(
            IGNORE,
            _("your rules also leave out {lost}.").format(lost=", ".join(lost)),
            _("make each rule as narrow as the task"),
            _("read each of your rules against {lost}: which one matches it?").format(lost=lost[0]),
        )
    return passed(
        IGNORE, _("sent {count} files: {files}.").format(
            count=len(sent), files=", ".join(sorted(sent)))
    )


def check_dockerignore(folder: str | Path, rules: object) -> CheckResult:
    """Exercise 01.2: write RULES as FOLDER's .dockerignore; what would `docker build` send?"""
    if is_unanswered(rules):
        return unanswered(IGNORE, _("the lines of the .dockerignore, as one string"))
    if not isinstance(rules, str):
        return failed(
            IGNORE,
            _("the answer is a {name}, not a string.").format(name=type(rules).__name__),
            _('write the rules as one string, one rule per line: "rule1\\nrule2\\n"'),
        )
    Path(folder, ".dockerignore").write_text(rules if rules.endswith("\n") else rules + "\n")
    sent = set(measure(folder).members) - {".dockerignore"}
    return judge_dockerignore(sent)


# -- 01.4 a Dockerfile change that adds no layer ----------------------------------------------

LAYERS = "01.4 a change without a layer"
LAYER_FILES = {
    "Dockerfile": ('FROM labkit/busybox\nCOPY greeting.txt /greeting.txt\n'
                   'CMD ["cat", "/greeting.txt"]\n'),
    "greeting.txt": "hello from a layer\n",
}


@dataclass(frozen=True)
class BuiltImage:
    """What the layer exercise compares between two builds.

    Attributes:
        instructions: the Dockerfile's instructions, in order.
        layers: the image's number of filesystem layers.
        image_id: the image's ID (it changes when the config changes).
    """

    instructions: tuple[str, ...]
    layers: int
    image_id: str


def instructions(text: str) -> tuple[str, ...]:
    """A Dockerfile's instructions: comments and blank lines dropped, continuations joined."""
    out: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1].strip() + " "
            continue
        out.append((current + line).strip())
        current = ""
    if current.strip():
        out.append(current.strip())
    return tuple(out)


def layer_exercise(lab: Lab) -> Path:
    """The project of exercise 01.4 (the check adds the learner's instruction to a copy)."""
    return write_tree(lab.workdir("exercise-01-4"), LAYER_FILES)


def judge_layers(before: BuiltImage, after: BuiltImage) -> CheckResult:
    """The verdict: a new instruction, the same number of layers, a different image."""
    added = [i for i in after.instructions if i not in before.instructions]
    if not added:
        return failed(LAYERS, _("the Dockerfile has no new instruction."),
                      _("add one instruction to the Dockerfile"),
                      _("an instruction that sets metadata (a label, an environment variable, a "
                        "port) is enough"))
    if after.layers > before.layers:
        return failed(
            LAYERS,
            _("the image now has {layers} layers, {more} more than before ({added}).").format(
                layers=after.layers, more=after.layers - before.layers, added="; ".join(added)
            ),
            _(
                "a layer holds changed FILES: an instruction that writes files adds one; "
                "one that only describes the image changes its config"
            ),
            _(
                "with the classic builder this check uses, RUN, COPY and ADD add a layer "
                "when they change files (BuildKit: always); LABEL, ENV, EXPOSE, CMD and "
                "USER change only the image's config"
            ),
        )
    if after.layers < before.layers:
        return failed(
            LAYERS,
            _("the image lost a layer ({layers}, was {before}).").format(
                layers=after.layers, before=before.layers
            ),
            _("keep the COPY; only add an instruction"),
        )
    if after.image_id == before.image_id:
        return failed(LAYERS, _("the image is the same as before: nothing in its config changed."),
                      _("the image ID follows from its config (its digest, or the digest of the "
                        "manifest that names it): pick an instruction that writes something into "
                        "the config"),
                      _("ARG only feeds the build and a comment is nothing; a LABEL or an ENV is "
                        "stored in the config"))
    return passed(LAYERS, _("{added} gave a new image with {layers} layers, as before: only the "
                            "config changed.").format(added='; '.join(added), layers=after.layers))


def check_no_new_layer(lab: Lab, folder: str | Path, instruction: object) -> CheckResult:
    """Exercise 01.4: add INSTRUCTION (one Dockerfile line) to FOLDER's Dockerfile, fresh each
    time; build the original and the edited version, compare layers and IDs."""
    if is_unanswered(instruction):
        return unanswered(LAYERS, _("one Dockerfile instruction, as a string"))
    if not isinstance(instruction, str):
        return failed(
            LAYERS,
            _("the answer is a {name}, not a string.").format(name=type(instruction).__name__),
            _("write the instruction as one string, the way it goes in a Dockerfile"),
        )
    Path(folder, "Dockerfile").write_text(LAYER_FILES["Dockerfile"] + instruction.strip() + "\n")
    original = write_tree(lab.workdir("exercise-01-4-original"), LAYER_FILES)
    shutil.copy2(Path(folder, "greeting.txt"), original / "greeting.txt")
    facts = []
    for tag, context in (("layer-exercise:before", original), ("layer-exercise:after", folder)):
        try:
            result = lab.build(context, tag)
        except LabkitError as exc:
            return failed(
                LAYERS,
                _("the Dockerfile does not build: {message}").format(message=exc.message),
                _("fix the instruction you added (see the error above)"),
                _("an instruction is a keyword and its arguments, e.g. KEYWORD key=value"),
            )
        text = Path(context, "Dockerfile").read_text()
        facts.append(BuiltImage(instructions(text), layer_count(result.image_id),
                                result.image_id))
    return judge_layers(*facts)
