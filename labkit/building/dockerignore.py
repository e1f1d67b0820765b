""".dockerignore rules, evaluated with the Docker SDK's own matcher (a port of the engine's).

Taught in: 01-building-images (which files a rule set sends, and which land in the image).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from docker.utils.build import Pattern, PatternMatcher

from labkit.base.errors import LabkitError
from labkit.base.i18n import _
from labkit.building.buildctx import measure
from labkit.lab.session import Lab

# The rules of the lecture notes, one of each kind.
LECTURE_RULES = """\
# Lines that start with # are comments.
config/
tests/
/secret.env
*.txt
**/*.log
.git/
node_modules/
!node_modules/myapp/
"""

SAMPLE_DOCKERFILE = "FROM labkit/busybox\nCOPY . /ctx/\n"

SAMPLE_FILES: dict[str, str] = {
    "README.md": "# demo\n",
    "notes.txt": "a note at the top\n",
    "docs/guide.txt": "a note one folder down\n",
    "app/main.js": "console.log('hi');\n",
    "app/debug.log": "debug output\n",
    "build.log": "build output\n",
    "config/settings.yaml": "debug: true\n",
    "tests/test_main.js": "test('hi');\n",
    "secret.env": "TOKEN=not-for-images\n",
    ".git/HEAD": "ref: refs/heads/main\n",
    ".git/config": "[core]\n",
    "node_modules/left-pad/index.js": "module.exports = 1;\n",
    "node_modules/myapp/index.js": "module.exports = 2;\n",
    "node_modules/myapp/package.json": '{"name": "myapp"}\n',
}

# What the SDK adds after the file's own rules (exclude_paths and PatternMatcher).
SDK_RULES = ("!Dockerfile", "!.dockerignore")


def write_tree(folder: str | Path, files: Mapping[str, str]) -> Path:
    """Write {relative path: text} under a folder (parents created)."""
    root = Path(folder)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_sample(lab: Lab, rules: str = LECTURE_RULES, name: str = "dockerignore-demo") -> Path:
    """A build context with the lecture's kinds of files, a .dockerignore and a Dockerfile
    that copies everything it receives (`COPY . /ctx/`).

    Returns:
        The context folder.
    """
    folder = lab.workdir(name)
    write_tree(folder, {**SAMPLE_FILES, "Dockerfile": SAMPLE_DOCKERFILE, ".dockerignore": rules})
    return folder


def effective_rules(patterns: Sequence[str]) -> list[str]:
    """The rules as the SDK applies them: the file's own (empty ones dropped), then its own two.

    The SDK always sends the Dockerfile and the .dockerignore itself ("!Dockerfile",
    "!.dockerignore" come last, so they win).
    """
    return [p for p in [*patterns, *SDK_RULES] if Pattern(p).dirs]


def rule_matches(rule: str, path: str) -> bool:
    """Whether one rule matches a path (or one of its parent folders), ignoring its `!`."""
    if not Pattern(rule).dirs:
        return False
    matcher = PatternMatcher([rule.removeprefix("!")])
    matcher.patterns = matcher.patterns[:1]  # drop the SDK's own "!.dockerignore"
    return bool(matcher.matches(path))


def deciding_rule(path: str, patterns: Sequence[str]) -> str | None:
    """The rule that decides a path's fate: the last one that matches it (None: no rule)."""
    decided = None
    for rule in effective_rules(patterns):
        if rule_matches(rule, path):
            decided = rule
    return decided


def files_under(folder: str | Path) -> list[str]:
    """Every regular file under a folder, relative and sorted."""
    root = Path(folder)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def find_argv(folder: str | Path) -> list[str]:
    r"""`find FOLDER -type f -printf '%P\n'`: every file under a folder, relative to it."""
    return ["find", str(folder), "-type", "f", "-printf", r"%P\n"]


def listed_files(listing: str) -> list[str]:
    """The paths `find_argv` printed, sorted (blank lines dropped)."""
    return sorted(line for line in listing.splitlines() if line.strip())


def files_in_image(lab: Lab, image: str, path: str = "/ctx") -> list[str]:
    """The regular files under PATH in an image (a throwaway container runs `find`).

    Raises:
        LabkitError: the image has no `find` or no such folder.
    """
    done = lab.run_once(image, ["find", path, "-type", "f"], flags=["--network", "none"],
                        quiet=True)
    if not done.ok:
        raise LabkitError(
            _("Could not list {path} in {image}: {error}").format(
                path=path, image=image, error=done.stderr.strip()),
            _("the image needs busybox's find (build it FROM labkit/busybox)"),
        )
    prefix = path.rstrip("/") + "/"
    return sorted(line.removeprefix(prefix) for line in done.stdout.splitlines()
                  if line.startswith(prefix))


def agreement_frame(context: str | Path, in_image: Sequence[str]) -> pd.DataFrame:
    """Side by side: what the SDK's tar held, and what the image holds, per file of the context.

    Returns:
        Columns path, sent, in image, agree.
    """
    sent = set(measure(context).members)
    landed = set(in_image)
    rows = [{"path": p, "sent": p in sent, "in image": p in landed,
             "agree": (p in sent) == (p in landed)}
            for p in sorted(set(files_under(context)) | landed)]
    return pd.DataFrame(rows)


def dockerfile_with_ignore(lab: Lab, rules: str, name: str = "only-app") -> Path:
    """A Dockerfile outside the context with an ignore file of its own beside it
    (`NAME.Dockerfile` and `NAME.Dockerfile.dockerignore`), copying what it receives to /ctx.

    Returns:
        The Dockerfile's path (for `-f`).
    """
    folder = lab.workdir(f"dockerfiles-{name}")
    dockerfile = folder / f"{name}.Dockerfile"
    dockerfile.write_text(SAMPLE_DOCKERFILE)
    Path(f"{dockerfile}.dockerignore").write_text(rules)
    return dockerfile

