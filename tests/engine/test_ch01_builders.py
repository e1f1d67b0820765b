"""Chapter 01 on the real engine: `docker build` through the CLI, BuildKit and the classic
builder, their logs, cache, context and ignore files."""

from __future__ import annotations

import pytest

from labkit.base.engine import client
from labkit.base.errors import LabkitError
from labkit.building import buildctx, dockerignore, frontapp, views
from labkit.lab import imagebuild
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine

STEPS = ["COPY dist/ /usr/local/web/", "COPY nginx.conf /etc/nginx/nginx.conf"]


def needs_buildkit() -> None:
    if imagebuild.builder_for("buildkit") != "buildkit":
        pytest.skip("BuildKit is not on this engine")


def test_buildkit_steps_cache_and_edit(lab: Lab) -> None:
    needs_buildkit()
    front = frontapp.copy_sample(lab)
    first = lab.build(front, "builders-test:v1", builder="buildkit", no_cache=True, show=False)
    names = [s.name for s in first.log.steps]
    assert names[:4] == ["[internal] load build definition from Dockerfile",
                         "[internal] load metadata for docker.io/labkit/nginx:1.22.1",
                         "[internal] load .dockerignore", "[internal] load build context"]
    assert [n.split("] ", 1)[1] for n in names if n.startswith("[2/3]") or
            n.startswith("[3/3]")] == STEPS
    # --no-cache runs every step; FROM says CACHED anyway (the base image is already here).
    assert [n for n in first.log.cached if "FROM" not in n] == []
    assert first.image_id == client().images.get(first.tag).id
    assert first.context_bytes is not None and 1000 < first.context_bytes < 5000
    again = lab.build(front, "builders-test:v1", builder="buildkit", show=False)
    assert {n.split("] ", 1)[1] for n in again.log.cached} >= set(STEPS)
    (front / "nginx.conf").write_text((front / "nginx.conf").read_text()
                                  + f"# edited in {lab.session}\n")
    edited = lab.build(front, "builders-test:v1", builder="buildkit", show=False)
    status = {s.name.split("] ", 1)[-1]: s.status for s in edited.log.steps}
    assert (status[STEPS[0]], status[STEPS[1]]) == ("CACHED", "DONE")


def test_classic_through_the_cli_sends_the_whole_folder(lab: Lab) -> None:
    cases = buildctx.prepare_cases(lab, frontapp.copy_sample(lab), megabytes=5)
    frame = views.builders_frame(lab, cases, tag="builders-test:ctx").set_index("case")
    assert frame.loc["with node_modules/", "classic builder"].endswith("MB")
    assert frame.loc["dist only", "classic builder"] == "under 10 kB"
    if imagebuild.builder_for("buildkit") == "buildkit":
        # BuildKit asks only for what the COPY steps name: no megabytes either way.
        assert set(frame["BuildKit"]) == {"under 10 kB"}
    else:
        assert set(frame["BuildKit"]) == {"not what `docker build` runs here"}
    # The front app's own Dockerfile (the cases build a one-step one): its CMD runs in a container.
    classic = lab.build(frontapp.copy_sample(lab, "front-classic"), "builders-test:classic",
                             builder="classic", no_cache=True, show=False)
    assert classic.log.lines[-1].startswith("Successfully tagged builders-test:classic")
    assert any(s.container for s in classic.log.steps)  # CMD ran in a container


def test_copy_from_outside_the_context_fails(lab: Lab) -> None:
    front = frontapp.copy_sample(lab)
    peek = lab.workdir("dockerfiles") / "peek.Dockerfile"
    peek.write_text("FROM labkit/busybox\nCOPY ../secret.env /\n")
    expected = ("not found" if imagebuild.builder_for("buildkit") == "buildkit"
                else "outside the build context")
    with pytest.raises(LabkitError, match=expected):
        lab.build(front, "builders-test:peek", builder="buildkit", dockerfile=str(peek), show=False)


def test_a_dockerfiles_own_ignore_file(lab: Lab) -> None:
    sample = dockerignore.make_sample(lab)
    only_app = dockerignore.dockerfile_with_ignore(lab, "*\n!app/\n")
    built = lab.build(sample, "builders-test:own", builder="buildkit", dockerfile=str(only_app),
                           show=False)
    landed = dockerignore.files_in_image(lab, built.tag)
    if built.builder == "buildkit":
        assert landed == ["app/debug.log", "app/main.js"]
    else:
        assert "README.md" in landed and "secret.env" not in landed
