"""Exercise 01.3 of chapter 01: the platforms of a manifest list made fresh for the learner.

Taught in: 01-building-images (exercise 01.3). `platform_quiz` builds and pushes a manifest
list whose platforms nobody has printed; `check_platforms` reads the list back from the
registry and hands its platforms to `judge_platforms`, which needs no engine. Re-exported by
labkit.building.checks, where the notebook calls it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.base.show import docker
from labkit.building.platforms import MANIFEST_LIST, OCI_INDEX, manifest_argv, platforms_of, push
from labkit.lab.exercises import CheckResult, failed, is_unanswered, passed, unanswered
from labkit.lab.session import Lab
from labkit.lessons.registry import LocalRegistry

# -- 01.3 the platforms of a manifest list ------------------------------------------------------

PLATFORMS = "01.3 manifest platforms"
# Platforms a quiz list may offer. Each entry is a FROM-scratch image holding one text file:
# nothing in it runs, so any platform can be built here, and its config names the platform.
QUIZ_PLATFORMS = ("linux/amd64", "linux/arm64", "linux/386", "linux/ppc64le", "linux/riscv64",
                  "linux/s390x")
QUIZ_NAME = "platform-quiz"
QUIZ_DOCKERFILE = "FROM scratch\nCOPY platform.txt /platform.txt\n"


def quiz_platforms(rng: random.Random | None = None) -> list[str]:
    """Two or three platforms of QUIZ_PLATFORMS, never just the notebook's amd64 and arm64.

    Three at most: each is one build and one push while the learner waits, and 34 sets are
    plenty for an answer that cannot be copied from an earlier run.
    """
    rng = rng or random.Random()
    while True:
        chosen = sorted(rng.sample(QUIZ_PLATFORMS, rng.randint(2, 3)))
        if set(chosen) != {"linux/amd64", "linux/arm64"}:
            return chosen


def platform_quiz(lab: Lab, registry: LocalRegistry, config: str | Path,
                  chosen: Sequence[str] | None = None) -> str:
    """Exercise 01.3: a fresh manifest list in REGISTRY whose platforms nobody has printed.

    Builds one tiny image per platform (random, see quiz_platforms), pushes them, and joins
    them with `docker manifest create`/`push` (CLI state in CONFIG). Each run makes a new set.

    Returns:
        The list's reference, e.g. "127.0.0.1:5000/platform-quiz:multi".
    """
    pushed = []
    for platform in chosen or quiz_platforms():
        arch = platform.split("/", 1)[1].replace("/", "-")
        folder = lab.workdir(f"exercise-01-3-{arch}")
        (folder / "platform.txt").write_text(f"an image for {platform}\n")
        (folder / "Dockerfile").write_text(QUIZ_DOCKERFILE)
        ref = lab.build(folder, registry.ref(f"{QUIZ_NAME}:{arch}"), platform=platform,
                        show=False).tag
        push(ref, show=False)  # the lines would name the platforms: the answer
        pushed.append(ref)
    multi = registry.ref(f"{QUIZ_NAME}:multi")
    docker(manifest_argv(config, "create", "--insecure", "--amend", multi, *pushed)[1:],
           show=False)
    docker(manifest_argv(config, "push", "--insecure", "--purge", multi)[1:], show=False)
    print(
        _("{multi} is a fresh manifest list in the lesson's registry: which platforms?").format(
            multi=multi
        )
    )
    return multi


def judge_platforms(truth: Sequence[str], answer: object) -> CheckResult:
    """The verdict on a list of platforms ("os/architecture") against the manifest list's."""
    if is_unanswered(answer):
        return unanswered(PLATFORMS, _("the list's platforms, e.g. [\"linux/amd64\"]"))
    if isinstance(answer, str) or not isinstance(answer, (list, tuple, set)):
        return failed(
            PLATFORMS,
            _("the answer is a {name}, not a list.").format(name=type(answer).__name__),
            _('give a list of strings, e.g. ["linux/amd64"]'),
        )
    given = [str(a).strip().lower() for a in answer]
    if any("/" not in a for a in given):
        return failed(
            PLATFORMS,
            _("{given} names architectures without their OS.").format(given=given),
            _('write each platform as os/architecture, e.g. "linux/amd64"'),
        )
    missing = sorted(set(truth) - set(given))
    extra = sorted(set(given) - set(truth))
    if missing or extra:
        parts = ([_("{missing} of the list's platforms are missing").format(missing=len(missing))]
                 if missing else []) + (
            [_("not in the list: {extra}").format(extra=", ".join(extra))] if extra else [])
        return failed(PLATFORMS, _("; ").join(parts) + ".",
                      _("ask the registry, not an earlier cell: the list is new each time the "
                        "cell runs. A manifest list names each entry's platform"),
                      _("run `docker --config CONFIG manifest inspect --insecure LIST` "
                        "(platforms.manifest_argv builds it) and read each entry's platform.os "
                        "and platform.architecture"))
    return passed(PLATFORMS, _("your answer names exactly the platforms the list offers."))


def check_platforms(registry: LocalRegistry, name: str, answer: object) -> CheckResult:
    """Exercise 01.3: compare ANSWER with the platforms of NAME's manifest list in REGISTRY.

    Args:
        name: the list, with or without the registry's address ("platform-quiz:multi").
    """
    if is_unanswered(answer):
        return unanswered(PLATFORMS, _("the list's platforms, e.g. [\"linux/amd64\"]"))
    doc = registry.manifest(name, f"{MANIFEST_LIST}, {OCI_INDEX}")
    if "manifests" not in doc:
        raise LabkitError(
            _("{name} is not a manifest list in {address}.").format(
                name=name, address=registry.address
            ),
            _("run the multi-platform cells of the notebook first"),
        )
    return judge_platforms(platforms_of(doc), answer)
