"""Exercise checks of chapter 01: each returns a CheckResult with a hint for a wrong answer.

Taught in: 01-building-images (exercises 01.1 to 01.4).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labkit.base.errors import LabkitError
from labkit.building import frontapp
from labkit.building.buildctx import measure
from labkit.building.buildhistory import layer_count
from labkit.building.dockerignore import write_tree
from labkit.building.platforms import MANIFEST_LIST, OCI_INDEX, platforms_of
from labkit.images.build import read_dockerignore
from labkit.lab.exercises import CheckResult, failed, passed
from labkit.lab.session import Lab
from labkit.lessons.registry import LocalRegistry

# -- 01.1 a single-page app that still answers 404 for a missing asset ----------------------

SPA = "01.1 nginx for a single-page app"
SPA_PATHS = {"deep link": "/orders/42", "asset": "/assets/app.css",
             "missing asset": "/assets/missing.css"}


def spa_exercise(lab: Lab) -> Path:
    """A fresh copy of the front-app project for exercise 01.1 (edit its nginx.conf)."""
    return frontapp.copy_sample(lab, "exercise-01-1")


def judge_spa(answers: Mapping[str, frontapp.Fetched]) -> CheckResult:
    """The verdict on what nginx answered for SPA_PATHS (keys: deep link, asset, missing asset)."""
    deep, asset, missing = (answers[k] for k in ("deep link", "asset", "missing asset"))
    if deep.status != 200 or deep.title != "Front App":
        return failed(SPA, f"{deep.path} answered {deep.status}, not the app's index.html.",
                      "keep `try_files $uri $uri/ /index.html;` in `location /`: the browser's "
                      "router needs index.html for every page path")
    if asset.status != 200 or not asset.content_type.startswith("text/css"):
        return failed(SPA, f"{asset.path} answered {asset.status} {asset.content_type!r}.",
                      "an existing asset must still be served as text/css: keep the `root` "
                      "(/usr/local/web) in the new location and `include mime.types`")
    if missing.status != 404:
        return failed(SPA, f"{missing.path} answered {missing.status} "
                      f"({missing.content_type}): the app's index.html, not an error.",
                      "add `location /assets/ { root /usr/local/web; try_files $uri =404; }`: "
                      "under /assets/ a missing file should be a 404, not the app")
    return passed(SPA, f"{deep.path} -> index.html, {asset.path} -> {asset.content_type}, "
                  f"{missing.path} -> 404.")


def check_spa_config(lab: Lab, folder: str | Path) -> CheckResult:
    """Exercise 01.1: build the edited project, run it on 127.0.0.1 and ask it three paths."""
    try:
        image = lab.build(folder, "front-app:exercise").tags[0]
    except LabkitError as exc:
        return failed(SPA, f"The project does not build: {exc.message}",
                      "read the build error; the Dockerfile should not need changes")
    container = lab.run(image, ports={"80/tcp": None})
    try:
        try:
            port = frontapp.host_port(container)
            frontapp.wait_until_serving(port, timeout=10, container=container)
        except LabkitError:
            log = container.logs(tail=3).decode(errors="replace").strip()
            return failed(SPA, f"nginx did not start: {log or 'no log'}",
                          "a typo in nginx.conf? every directive ends with `;` and every "
                          "`{` needs its `}`")
        answers = {k: frontapp.fetch(port, p) for k, p in SPA_PATHS.items()}
    finally:
        container.remove(force=True)
    return judge_spa(answers)


# -- 01.2 a .dockerignore --------------------------------------------------------------------

IGNORE = "01.2 .dockerignore"
KEEP_LOG = "logs/audit.log"
IGNORE_FILES = {
    "Dockerfile": "FROM labkit/busybox\nCOPY . /app/\n",
    "README.md": "# service\n",
    "src/app.py": "print('hi')\n",
    "src/util.py": "X = 1\n",
    "src/worker.log": "worker output\n",
    "tests/test_app.py": "def test(): pass\n",
    "tests/data/sample.log": "fixture\n",
    "app.log": "app output\n",
    "logs/debug.log": "debug output\n",
    KEEP_LOG: "who did what: the one log the image must keep\n",
}


def dockerignore_exercise(lab: Lab) -> Path:
    """The project of exercise 01.2: write its .dockerignore."""
    return write_tree(lab.workdir("exercise-01-2"), IGNORE_FILES)


def judge_dockerignore(sent: set[str], rules: Sequence[str] = (),
                       files: Sequence[str] = tuple(IGNORE_FILES)) -> CheckResult:
    """The verdict on the files a .dockerignore lets through (relative paths), given its rules."""
    tests = sorted(f for f in sent if f.startswith("tests/"))
    logs = sorted(f for f in sent if f.endswith(".log") and f != KEEP_LOG)
    if tests:
        return failed(IGNORE, f"tests/ is still sent: {', '.join(tests)}.",
                      "a line `tests/` leaves out the folder and everything in it")
    if logs:
        shallow = any(r.lstrip("/").endswith("*.log") and "**" not in r for r in rules)
        hint = ("`*.log` matches only at the top of the context; `**/*.log` matches at any depth"
                if shallow else "add `**/*.log`: it leaves out .log files in every folder")
        return failed(IGNORE, f"these logs are still sent: {', '.join(logs)}.", hint)
    if KEEP_LOG not in sent:
        return failed(IGNORE, f"{KEEP_LOG} is left out, but the image needs it.",
                      f"add `!{KEEP_LOG}` AFTER the line that excludes it: the last matching "
                      "line wins")
    lost = sorted(f for f in files if not f.endswith(".log") and not f.startswith("tests/")
                  and f not in sent)
    if lost:
        return failed(IGNORE, f"your rules also leave out {', '.join(lost)}.",
                      "make each rule as narrow as the task: tests/, the logs, nothing else")
    return passed(IGNORE, f"sent {len(sent)} files: {', '.join(sorted(sent))}.")


def check_dockerignore(folder: str | Path) -> CheckResult:
    """Exercise 01.2: what would `docker build` send with the .dockerignore in FOLDER?"""
    if not Path(folder, ".dockerignore").is_file():
        return failed(IGNORE, f"there is no .dockerignore in {folder}.",
                      "create the file next to the Dockerfile, one rule per line")
    sent = set(measure(folder).members) - {".dockerignore"}
    return judge_dockerignore(sent, read_dockerignore(folder))


# -- 01.3 the platforms of a manifest list ------------------------------------------------------

PLATFORMS = "01.3 manifest platforms"


def judge_platforms(truth: Sequence[str], answer: object) -> CheckResult:
    """The verdict on a list of platforms ("os/architecture") against the manifest list's."""
    if isinstance(answer, str) or not isinstance(answer, (list, tuple, set)):
        return failed(PLATFORMS, f"the answer is a {type(answer).__name__}, not a list.",
                      'give a list of strings, e.g. ["linux/amd64"]')
    given = [str(a).strip().lower() for a in answer]
    if any("/" not in a for a in given):
        return failed(PLATFORMS, f"{given} names architectures without their OS.",
                      'write each platform as os/architecture, e.g. "linux/amd64"')
    missing = sorted(set(truth) - set(given))
    extra = sorted(set(given) - set(truth))
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"not in the list: {', '.join(extra)}"] if extra else [])
        return failed(PLATFORMS, "; ".join(parts) + ".",
                      "read each entry's platform in `docker manifest inspect --insecure`")
    return passed(PLATFORMS, f"the list offers {', '.join(sorted(truth))}.")


def check_platforms(registry: LocalRegistry, name: str, answer: object) -> CheckResult:
    """Exercise 01.3: compare ANSWER with the platforms of NAME's manifest list in REGISTRY."""
    doc = registry.manifest(name, f"{MANIFEST_LIST}, {OCI_INDEX}")
    if "manifests" not in doc:
        raise LabkitError(f"{name} is not a manifest list in {registry.address}.",
                          "run the multi-platform cells of the notebook first")
    return judge_platforms(platforms_of(doc), answer)


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
    """The project of exercise 01.4: change its Dockerfile."""
    return write_tree(lab.workdir("exercise-01-4"), LAYER_FILES)


def judge_layers(before: BuiltImage, after: BuiltImage) -> CheckResult:
    """The verdict: a new instruction, the same number of layers, a different image."""
    added = [i for i in after.instructions if i not in before.instructions]
    if not added:
        return failed(LAYERS, "the Dockerfile has no new instruction.",
                      "add one instruction to the Dockerfile, e.g. a LABEL or an ENV")
    if after.layers > before.layers:
        return failed(LAYERS, f"the image now has {after.layers} layers, "
                      f"{after.layers - before.layers} more than before ({'; '.join(added)}).",
                      "RUN, COPY and ADD add a layer when they change files; LABEL, ENV, "
                      "EXPOSE, CMD and USER change only the image's config")
    if after.layers < before.layers:
        return failed(LAYERS, f"the image lost a layer ({after.layers}, was {before.layers}).",
                      "keep the COPY; only add an instruction")
    if after.image_id == before.image_id:
        return failed(LAYERS, "the image is the same as before: nothing in its config changed.",
                      "pick an instruction that changes the config, e.g. LABEL version=2")
    return passed(LAYERS, f"{'; '.join(added)} gave a new image with {after.layers} layers, "
                  "as before: only the config changed.")


def check_no_new_layer(lab: Lab, folder: str | Path) -> CheckResult:
    """Exercise 01.4: build the original and the edited Dockerfile, compare layers and IDs."""
    original = write_tree(lab.workdir("exercise-01-4-original"), LAYER_FILES)
    shutil.copy2(Path(folder, "greeting.txt"), original / "greeting.txt")
    facts = []
    for tag, context in (("layer-exercise:before", original), ("layer-exercise:after", folder)):
        try:
            result = lab.build(context, tag)
        except LabkitError as exc:
            return failed(LAYERS, f"the Dockerfile does not build: {exc.message}",
                          "fix the instruction you added (see the error above)")
        text = Path(context, "Dockerfile").read_text()
        facts.append(BuiltImage(instructions(text), layer_count(result.image_id),
                                result.image_id))
    return judge_layers(*facts)
