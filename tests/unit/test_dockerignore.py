""".dockerignore rules through the SDK's matcher: the lecture's rules on the sample tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.building import dockerignore as di
from labkit.building import views
from labkit.building.buildctx import measure

# What the engine's rules mean for the sample, written out by hand (not computed).
EXPECTED_SENT = {
    ".dockerignore", "Dockerfile", "README.md", "app/main.js", "docs/guide.txt",
    "node_modules/myapp/index.js", "node_modules/myapp/package.json",
}


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return di.write_tree(tmp_path, {**di.SAMPLE_FILES, "Dockerfile": di.SAMPLE_DOCKERFILE,
                                    ".dockerignore": di.LECTURE_RULES})


def test_lecture_rules_send_exactly_the_expected_files(sample: Path) -> None:
    assert set(measure(sample).members) == EXPECTED_SENT


@pytest.mark.parametrize("path,rule", [
    ("notes.txt", "*.txt"),
    ("docs/guide.txt", None),             # * never crosses a /
    ("build.log", "**/*.log"),            # ** may be no folder at all
    ("app/debug.log", "**/*.log"),
    ("secret.env", "/secret.env"),        # a leading / changes nothing
    ("config/settings.yaml", "config/"),
    (".git/HEAD", ".git/"),
    ("node_modules/left-pad/index.js", "node_modules/"),
    ("node_modules/myapp/index.js", "!node_modules/myapp/"),  # the last match wins
    ("Dockerfile", "!Dockerfile"),
    (".dockerignore", "!.dockerignore"),
    ("README.md", None),
])
def test_deciding_rule(path: str, rule: str | None) -> None:
    patterns = [line for line in di.LECTURE_RULES.splitlines() if not line.startswith("#")]
    assert di.deciding_rule(path, patterns) == rule


def test_order_matters_an_early_exception_is_overridden() -> None:
    assert di.deciding_rule("node_modules/myapp/index.js",
                            ["!node_modules/myapp/", "node_modules/"]) == "node_modules/"


def test_rules_table_agrees_with_the_sdk_tar(sample: Path) -> None:
    frame = views.rules_frame(sample)
    assert set(frame.loc[frame["sent"], "path"]) == EXPECTED_SENT
    for _, row in frame.iterrows():
        by_rule = row["decided by"].startswith(("!", "(no rule"))
        assert row["sent"] == by_rule, row["path"]
    assert "(added by the SDK)" in frame.set_index("path").loc["Dockerfile", "decided by"]


def test_rule_matches_ignores_empty_patterns_and_the_bang() -> None:
    assert not di.rule_matches(".", "README.md")
    assert di.rule_matches("!tests/", "tests/a.py")
    assert not di.rule_matches("tests/", "src/tests.py")


def test_effective_rules_end_with_the_sdk_own() -> None:
    assert di.effective_rules(["a", "/", "b"]) == ["a", "b", "!Dockerfile", "!.dockerignore"]


def test_agreement_flags_a_difference(sample: Path) -> None:
    landed = sorted(EXPECTED_SENT - {"Dockerfile"} | {"notes.txt"})
    frame = di.agreement_frame(sample, landed).set_index("path")
    assert not frame.loc["Dockerfile", "agree"] and not frame.loc["notes.txt", "agree"]
    assert frame.drop(index=["Dockerfile", "notes.txt"])["agree"].all()


def test_files_under_lists_regular_files_relative(sample: Path) -> None:
    files = di.files_under(sample)
    assert "node_modules/myapp/package.json" in files and "node_modules" not in files
    assert files == sorted(files)


def test_agreement_summary_says_it_or_raises(tmp_path: Path) -> None:
    import pandas as pd

    from labkit.base.errors import LabkitError

    frame = pd.DataFrame([{"path": "a", "sent": True, "in image": True, "agree": True},
                          {"path": "b", "sent": False, "in image": False, "agree": True}])
    assert views.agreement_summary(frame) == (
        "The image holds exactly the 1 files the rules send, and none of the other 1.")
    frame.loc[1, ["in image", "agree"]] = [True, False]
    with pytest.raises(LabkitError, match="disagree on b"):
        views.agreement_summary(frame)


def test_a_dockerfile_gets_an_ignore_file_of_its_own(tmp_path: Path) -> None:
    from .fakes.lab import FakeLab

    dockerfile = di.dockerfile_with_ignore(FakeLab(tmp_path), "*\n!app/\n")  # type: ignore[arg-type]
    assert dockerfile.name == "only-app.Dockerfile"
    own = dockerfile.parent / "only-app.Dockerfile.dockerignore"
    assert own.read_text() == "*\n!app/\n"
