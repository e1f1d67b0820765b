"""The build context: the exact tar, the bulky folder, the comparison of builds (no engine)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.base.facts import EngineFacts
from labkit.building import buildctx, views

from .fakes.lab import FakeLab


def project(root: Path) -> Path:
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "index.html").write_text("<title>x</title>\n")
    (root / "Dockerfile").write_text("FROM nginx:1.22.1\nCOPY dist/ /usr/local/web/\n")
    return root


def test_measure_honours_dockerignore_and_counts_the_real_tar(tmp_path: Path) -> None:
    ctx = project(tmp_path / "ctx")
    (ctx / "secret.env").write_text("TOKEN=1\n")
    (ctx / ".dockerignore").write_text("secret.env\n")
    size = buildctx.measure(ctx)
    assert size.members == (".dockerignore", "Dockerfile", "dist/index.html")
    assert size.files == 3
    assert size.bytes % 512 == 0 and size.bytes >= 3 * 1024


def test_measure_is_the_same_after_files_are_touched(tmp_path: Path) -> None:
    ctx = project(tmp_path / "ctx")
    first = buildctx.measure(ctx)
    os.utime(ctx / "dist" / "index.html", (1_000_000_000.5, 1_000_000_000.5))
    assert buildctx.measure(ctx) == first


def test_bulky_folder_is_deterministic_and_of_the_asked_size(tmp_path: Path) -> None:
    a = buildctx.make_bulky(tmp_path / "a", megabytes=2, packages=4)
    b = buildctx.make_bulky(tmp_path / "b", megabytes=2, packages=4)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert len(files_a) == 8
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)
    total = sum((a / f).stat().st_size for f in files_a)
    assert 2_000_000 <= total < 2_001_000
    other = buildctx.make_bulky(tmp_path / "c", megabytes=2, packages=4, seed=2)
    first = "pkg-000/index.js"
    assert (other / first).read_bytes() != (a / first).read_bytes()


def test_three_cases_send_what_they_should(tmp_path: Path) -> None:
    src = project(tmp_path / "src")
    cases = buildctx.prepare_cases(FakeLab(tmp_path / "lessons"), src, megabytes=1)
    assert list(cases) == list(buildctx.CASES)
    frame = views.cases_frame(cases).set_index("case")
    small, bulky, ignored = (frame.loc[c] for c in buildctx.CASES)
    assert small["files sent"] == 2 and bulky["files sent"] == 2 + 400
    assert ignored["files on disk"] == 2 + 400 + 1 and ignored["files sent"] == 3
    assert bulky["bytes sent"] > small["bytes sent"] + 1_000_000
    assert abs(ignored["bytes sent"] - small["bytes sent"]) <= 10_240


def test_comparison_table_summary_and_chart() -> None:
    runs = buildctx.Comparison((
        buildctx.BuildRun("dist only", 20_480, (0.1, 0.3, 0.2)),
        buildctx.BuildRun("with node_modules/", 41_082_880, (0.7, 0.6, 0.9)),
        buildctx.BuildRun("node_modules/ in .dockerignore", 20_480, (0.1, 0.1, 0.2)),
    ))
    frame = runs.to_frame()
    assert list(frame["fastest build, s"]) == [0.1, 0.6, 0.1]
    assert list(frame["MB sent"]) == [0.02, 41.08, 0.02]
    text = runs.summary()
    assert "added 41.1 MB" in text and "exactly as much as the project alone (20,480" in text
    fig = runs.plot()
    assert len(fig.axes) == 2
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_outside_dockerfile_travels_under_a_generated_name(tmp_path: Path) -> None:
    ctx = project(tmp_path / "ctx")
    outside = tmp_path / "elsewhere" / "front.Dockerfile"
    outside.parent.mkdir()
    outside.write_text("FROM nginx:1.22.1\n")
    frame = views.sent_frame(ctx, dockerfile=str(outside))
    notes = dict(zip(frame["path"], frame["note"], strict=True))
    assert set(notes) == {".dockerfile.<generated>", ".dockerignore", "Dockerfile",
                          "dist/index.html"}
    assert "front.Dockerfile" in notes[".dockerfile.<generated>"]
    assert "daemon drops it" in notes[".dockerignore"]
    # The generated .dockerignore really names the generated Dockerfile.
    from labkit.images.build import context_tar

    data, name = context_tar(ctx, str(outside))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        ignore = tar.extractfile(".dockerignore").read().decode()  # type: ignore[union-attr]
    assert name and name.startswith(".dockerfile.") and name in ignore.split()


def test_without_outside_dockerfile_no_notes(tmp_path: Path) -> None:
    frame = views.sent_frame(project(tmp_path / "ctx"))
    assert list(frame["path"]) == ["Dockerfile", "dist/index.html"]
    assert set(frame["note"]) == {""}


@pytest.mark.parametrize("megabytes", [0, 1])
def test_bulky_zero_is_still_a_folder(tmp_path: Path, megabytes: int) -> None:
    root = buildctx.make_bulky(tmp_path, megabytes=megabytes, packages=2)
    assert root.name == buildctx.BULKY_DIR and root.is_dir()


def _facts(version: str, builder: str) -> EngineFacts:
    major, minor = (int(x) for x in version.split(".")[:2])
    return EngineFacts(server_version=version, api_version="1.41", major=major, minor=minor,
                       builder=builder, builder_version="", buildx=builder == "buildkit",
                       storage="overlay2", storage_driver="overlay2", firewall="iptables-nft",
                       firewall_engine="", iptables_variant="nft", cgroup_version="1",
                       host_mode="local", os="Debian", architecture="x86_64")


def test_the_builder_note_follows_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from labkit.building.clibuild import builder_for, builder_note

    monkeypatch.delenv("DOCKER_BUILDKIT", raising=False)
    kit = _facts("28.5.2", "buildkit")
    assert builder_note("buildkit", kit).startswith("Builder: BuildKit (Docker 28.5.2")
    assert "DOCKER_BUILDKIT=0" in builder_note("classic", kit)
    old = _facts("20.10.24", "classic")
    assert builder_for("buildkit", old) == "classic"
    note = builder_note("buildkit", old)
    # Engine 20.10 has BuildKit; its `docker build` just does not use it unless asked.
    assert "not on this engine" not in note and "the only one" not in note
    assert "Docker 20.10.24 has BuildKit built in" in note and "DOCKER_BUILDKIT=1" in note
    assert "docker-buildx" not in note  # Debian's 20.10 (bookworm) has no such package
    assert "has BuildKit built in" in builder_note("classic", old)
    newer = builder_note("buildkit", _facts("26.1.5", "classic"))
    assert "no buildx plugin" in newer and "docker-buildx" in newer
    assert "built in" not in newer


def _runs(small: int, bulky: int, ignored: int, slow: float = 0.9) -> buildctx.Comparison:
    return buildctx.Comparison((buildctx.BuildRun("dist only", small, (0.2, 0.2)),
                                buildctx.BuildRun("with node_modules/", bulky, (slow, slow)),
                                buildctx.BuildRun("node_modules/ in .dockerignore", ignored,
                                                  (0.2, 0.2))))


def test_the_comparison_asserts_what_the_lesson_says() -> None:
    _runs(20480, 41_082_880, 20480).assert_holds()
    with pytest.raises(LabkitError, match="sent only"):
        _runs(20480, 30720, 20480).assert_holds()
    with pytest.raises(LabkitError, match="ignored"):
        _runs(20480, 41_082_880, 41_082_880).assert_holds()
    with pytest.raises(LabkitError, match="slowest"):
        _runs(20480, 41_082_880, 20480, slow=0.1).assert_holds()


def test_builds_go_round_by_round_and_the_fastest_judges(tmp_path: Path) -> None:
    order: list[str] = []

    class Timed:
        def __init__(self, tag: str) -> None:
            self.context_bytes = 41_082_880 if tag.endswith("1") else 20_480
            # the machine is busy during the whole first round: every case is slow once
            self.seconds = (5.0 if len(order) <= 3 else 0.2) + (0.3 if tag.endswith("1") else 0)

    class Lab:
        def build(self, folder: Path, tag: str, show: bool = True) -> Timed:
            order.append(tag)
            return Timed(tag)

    cases = {case: tmp_path / str(i) for i, case in enumerate(buildctx.CASES)}
    runs = buildctx.compare_builds(Lab(), cases, tag="t:", repeats=2)  # type: ignore[arg-type]
    assert order == ["t:0", "t:1", "t:2", "t:0", "t:1", "t:2"]
    assert [r.fastest for r in runs.runs] == [0.2, 0.5, 0.2]
    runs.assert_holds()


def test_a_machine_busy_through_every_round_gets_more_rounds(tmp_path: Path) -> None:
    """The bulky build hidden by a busy machine for four rounds: rounds go on until it shows
    (the table says how many builds), and stop after EXTRA_ROUNDS when it never does."""
    builds: list[str] = []

    def lab_where_bulky_shows_after(rounds: int | None):  # noqa: ANN202
        class Timed:
            def __init__(self, tag: str) -> None:
                done_rounds = (len(builds) - 1) // 3
                bulky = tag.endswith("1")
                self.context_bytes = 41_082_880 if bulky else 20_480
                hidden = rounds is None or done_rounds < rounds
                # busy moments slow the small builds only, until the round that shows it
                self.seconds = 0.5 if bulky else (1.3 if hidden else 0.3)

        class Lab:
            def build(self, folder: Path, tag: str, show: bool = True) -> Timed:
                builds.append(tag)
                return Timed(tag)
        return Lab()

    cases = {case: tmp_path / str(i) for i, case in enumerate(buildctx.CASES)}
    runs = buildctx.compare_builds(lab_where_bulky_shows_after(4), cases, tag="t:", repeats=3)
    assert [len(r.seconds) for r in runs.runs] == [5, 5, 5]
    runs.assert_holds()
    builds.clear()
    never = buildctx.compare_builds(lab_where_bulky_shows_after(None), cases, tag="t:",
                                    repeats=3)
    assert len(never.runs[0].seconds) == 3 + buildctx.EXTRA_ROUNDS
    with pytest.raises(LabkitError, match="slowest"):
        never.assert_holds()


def test_builders_frame_reports_each_builders_context(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from labkit.images.buildlog import BuildLog
    from labkit.lab import imagebuild

    sent = {"classic": 41_080_000, "buildkit": 2630}
    built: list[tuple[str, str]] = []

    class BuildingLab:  # lab.build runs the docker CLI (test_build fakes that); here the table
        def build(self, folder: Path, tag: str, *, builder: str) -> object:
            built.append((tag, builder))
            log = BuildLog(builder, (), sent[builder], "", ())
            return imagebuild.CliBuild(builder, tag, "sha256:1", log, 0.1)

    cases = {"dist only": tmp_path}
    monkeypatch.setattr(imagebuild, "builder_for", lambda wanted: wanted)
    frame = views.builders_frame(BuildingLab(), cases)  # type: ignore[arg-type]
    assert frame.to_dict("records") == [
        {"case": "dist only", "classic builder": "41 MB", "BuildKit": "under 10 kB"}]
    assert built == [("front-app:ctx0", "classic"), ("front-app:ctx0-buildkit", "buildkit")]
    monkeypatch.setattr(imagebuild, "builder_for", lambda wanted: "classic")
    frame = views.builders_frame(BuildingLab(), cases)  # type: ignore[arg-type]
    assert frame.loc[0, "BuildKit"] == "not what `docker build` runs here"
