from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labkit.base import labels
from labkit.base.errors import LabkitError, UnknownImage
from labkit.images import catalog as images
from labkit.images import untar

from .fakes.client import FakeClient
from .fakes.seam import Fakes


@pytest.mark.parametrize("typed,name", [("redis", "labkit/redis:7.0"),
                                        ("labkit/redis", "labkit/redis:7.0"),
                                        ("labkit/redis:7.0", "labkit/redis:7.0"),
                                        ("nginx", "labkit/nginx:1.22.1"),
                                        ("busybox", "labkit/busybox"),
                                        ("labkit/busybox:latest", "labkit/busybox"),
                                        ("debian", "labkit/debian:bookworm")])
def test_names_learners_type_map_to_labkit_names(typed: str, name: str) -> None:
    assert images.recipe_for(typed).name == name


@pytest.mark.parametrize("official", ["redis:7.0", "redis:latest", "nginx:1.22.1",
                                      "busybox:latest", "debian:bookworm", "debian:12",
                                      "registry:2", "registry:2.8"])
def test_docker_hubs_names_are_not_course_images(official: str) -> None:
    with pytest.raises(UnknownImage) as info:
        images.recipe_for(official)
    assert "labkit/" in info.value.hint


def test_every_course_image_lives_in_the_labkit_namespace() -> None:
    assert all(name.startswith(images.NAMESPACE) for name in images.ALIASES.values())
    for recipe in images.RECIPES.values():
        assert recipe.base is None or recipe.base.startswith(images.NAMESPACE)


def test_unknown_names_say_what_exists() -> None:
    with pytest.raises(UnknownImage) as info:
        images.recipe_for("ngnix:1.22.1")
    assert "labkit/nginx:1.22.1" in info.value.hint and "ngnix" in info.value.message


def test_every_delta_recipe_builds_on_a_known_base() -> None:
    for recipe in images.RECIPES.values():
        if recipe.kind == "delta":
            assert recipe.base in images.RECIPES and recipe.packages


def test_nginx_is_debian_bookworms_1_22_1() -> None:
    recipe = images.recipe_for("labkit/nginx:1.22.1")
    assert recipe.packages == ("nginx",) and recipe.base == "labkit/debian:bookworm"


def test_asset_dockerfiles_build_on_labkit_names_only() -> None:
    from importlib import resources

    root = resources.files("labkit") / "assets"
    froms = [line.split()[1] for path in ("images/nginx", "images/redis",
                                          "images/registry", "images/mariadb",
                                          "images/wordpress", "ch01/front")
             for line in (root / path / "Dockerfile").read_text().splitlines()
             if line.startswith("FROM ")]
    assert froms and all(ref.startswith(images.NAMESPACE) for ref in froms)


def test_fingerprint_is_stable_and_tracks_the_recipe() -> None:
    r = images.recipe_for("redis")
    assert r.fingerprint() == r.fingerprint()
    assert r.fingerprint() != images.recipe_for("nginx").fingerprint()


def test_a_trim_list_changes_only_its_own_recipes_fingerprint() -> None:
    import dataclasses

    r = images.recipe_for("redis")
    assert r.trim == () and "trim" not in repr(r)  # so redis's fingerprint is what it was
    trimmed = dataclasses.replace(r, trim=("var/log/dpkg.log",))
    assert trimmed.fingerprint() != r.fingerprint()
    assert dataclasses.replace(r, trim=("usr/share/doc/*",)).fingerprint() != (
        trimmed.fingerprint())


@pytest.mark.parametrize("typed,name,package", [
    ("mariadb", "labkit/mariadb:10.11", "mariadb-server"),
    ("labkit/wordpress", "labkit/wordpress:6.1", "wordpress"),
])
def test_the_two_tier_apps_images_are_debian_packages_on_the_course_base(
        typed: str, name: str, package: str) -> None:
    recipe = images.recipe_for(typed)
    assert recipe.name == name and recipe.kind == "delta"
    assert recipe.base == "labkit/debian:bookworm" and recipe.version_of == package
    assert package in recipe.packages
    # what the packages leave behind stays out of the layer: the first datadir, install logs
    assert set(images.DELTA_TRIM) <= set(recipe.trim)
    with pytest.raises(UnknownImage):
        images.recipe_for("mysql:8.0")  # the notes' image is neither ours nor an alias


def test_the_mariadb_recipe_never_ships_a_datadir() -> None:
    assert "var/lib/mysql/*" in images.recipe_for("mariadb").trim
    assert "var/log/apache2/*" in images.recipe_for("wordpress").trim


@pytest.mark.parametrize("assets", ["mariadb", "wordpress"])
def test_the_entrypoints_hand_pid_1_to_the_server(assets: str) -> None:
    from importlib import resources

    folder = resources.files("labkit") / "assets" / "images" / assets
    lines = (folder / "Dockerfile").read_text().splitlines()
    for word in ("ENTRYPOINT", "CMD"):
        [line] = [x for x in lines if x.startswith(word + " ")]
        assert line.split(" ", 1)[1].startswith("["), f"{word} must be exec form"
    script = (folder / "docker-entrypoint.sh").read_text()
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script
    assert script.rstrip().splitlines()[-1].startswith("exec ")  # the server replaces it


# -- ensure() against a fake engine ------------------------------------------------------------
def labkit_labels(name: str, fingerprint: str | None = None) -> dict[str, str]:
    fp = fingerprint or images.recipe_for(name).fingerprint()
    return {labels.BUILT_LOCALLY: "true", labels.SOURCE: "built on this machine: x 1.0",
            labels.RECIPE: f"{name}@{fp}"}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, fakes: Callable[..., Fakes]) -> FakeClient:
    """A fake engine; `_build` records the build and tags the image as labkit would.

    The course's own build steps (debootstrap of a tree, the build of an image from it, the
    download of busybox-static) are replaced: they are the images' recipes, not what these
    tests are about, and would reach this machine and Debian's mirror.
    """
    fake = fakes(client=FakeClient()).client
    fake.built = []  # type: ignore[attr-defined]

    fake.trees = []  # type: ignore[attr-defined]

    fake.trees_at_first_build = None  # type: ignore[attr-defined]

    def build(recipe: images.Recipe, progress: Any, trees: images.Trees) -> tuple[str, str]:
        if fake.trees_at_first_build is None:  # type: ignore[attr-defined]
            fake.trees_at_first_build = len(trees.futures)  # type: ignore[attr-defined]
        fake.built.append(recipe.name)  # type: ignore[attr-defined]
        if recipe.kind == "delta":
            assert trees.take(recipe).name == f"new-{recipe.assets}"
        image = fake.images.put(recipe.name, labkit_labels(recipe.name))
        return image.id, "built"

    def make(target: Path, packages: tuple[str, ...], progress: Any, cache: str) -> Path:
        fake.trees.append((target.name, packages, cache))  # type: ignore[attr-defined]
        return target

    monkeypatch.setattr(images.Trees, "make", staticmethod(make))
    monkeypatch.setattr(images, "_build", build)
    monkeypatch.setattr(images, "prepare_assets", lambda progress: None)
    return fake


def test_missing_images_are_built_base_first(engine: FakeClient) -> None:
    result = images.ensure(["nginx"], progress=lambda m: None)
    assert engine.built == ["labkit/debian:bookworm", "labkit/nginx:1.22.1"]  # type: ignore
    assert [r.state for r in result] == ["built"]
    # nginx's tree was started before its base was built, in a package folder of its own
    assert engine.trees == [("new-nginx", ("nginx",), "nginx")]  # type: ignore


def test_the_trees_of_all_delta_images_are_made_at_once(engine: FakeClient) -> None:
    images.ensure(progress=lambda m: None)
    started = sorted(name for name, _, _ in engine.trees)  # type: ignore
    assert started == ["new-mariadb", "new-nginx", "new-redis", "new-registry",
                       "new-wordpress"]
    assert engine.trees_at_first_build == 5  # type: ignore  # all under way before any build
    images.ensure(progress=lambda m: None)  # all present: no tree is made again
    assert len(engine.trees) == 5  # type: ignore
    assert engine.images.pulled == []


@pytest.mark.parametrize("offline", ["0", "1"])
def test_course_images_are_never_pulled(monkeypatch: pytest.MonkeyPatch, engine: FakeClient,
                                        offline: str) -> None:
    monkeypatch.setenv("LABKIT_OFFLINE", offline)
    images.ensure(progress=lambda m: None)
    assert engine.images.pulled == []
    assert sorted(engine.built) == sorted(images.RECIPES)  # type: ignore[attr-defined]


def test_present_images_cost_nothing(engine: FakeClient) -> None:
    engine.images.put("labkit/redis:7.0", labkit_labels("labkit/redis:7.0"))
    [result] = images.ensure(["redis"], progress=lambda m: None)
    assert result.state == "present" and result.usable
    assert engine.built == []  # type: ignore[attr-defined]


def test_an_image_under_a_labkit_name_not_built_by_labkit_is_never_replaced(
        engine: FakeClient) -> None:
    theirs = engine.images.put("labkit/redis:7.0", {"learner.owns": "yes"})
    assert images.status("redis").state == "foreign"  # type: ignore[union-attr]
    with pytest.raises(LabkitError) as info:
        images.ensure(["labkit/redis:7.0"], rebuild=True, progress=lambda m: None)
    assert "labkit/redis:7.0" in info.value.message and "did not build" in info.value.message
    assert "docker tag" in info.value.hint
    assert engine.built == []  # type: ignore[attr-defined]
    assert engine.images.get("labkit/redis:7.0") is theirs
    assert engine.images.pulled == [] and engine.images.removed == []


def test_a_look_alike_label_from_another_recipe_is_not_labkits(engine: FakeClient) -> None:
    engine.images.put("labkit/busybox", {labels.BUILT_LOCALLY: "true",
                                  labels.RECIPE: "labkit/nginx:1.22.1@0"})
    with pytest.raises(LabkitError):
        images.ensure(["busybox"], progress=lambda m: None)


def test_official_look_alikes_are_ignored_and_the_labkit_image_built(engine: FakeClient) -> None:
    official = {ref: engine.images.put(ref, {"learner.owns": "yes"})
                for ref in ("redis:7.0", "redis:latest", "debian:bookworm", "busybox:latest")}
    # even one that carries labkit's labels, as images built by older course versions do
    official["nginx:1.22.1"] = engine.images.put("nginx:1.22.1",
                                                 labkit_labels("labkit/nginx:1.22.1"))
    result = images.ensure(["redis", "nginx", "busybox"], progress=lambda m: None)
    assert [r.name for r in result] == ["labkit/redis:7.0", "labkit/nginx:1.22.1",
                                        "labkit/busybox"]
    assert engine.built == ["labkit/debian:bookworm", "labkit/redis:7.0",  # type: ignore
                            "labkit/nginx:1.22.1", "labkit/busybox"]
    for ref, image in official.items():
        assert engine.images.get(ref) is image
    assert engine.images.pulled == [] and engine.images.removed == []


def test_a_stale_labkit_image_is_rebuilt(engine: FakeClient) -> None:
    engine.images.put("labkit/debian:bookworm", labkit_labels("labkit/debian:bookworm"))
    old = engine.images.put("labkit/redis:7.0",
                            labkit_labels("labkit/redis:7.0", fingerprint="0" * 16))
    assert images.status("redis").state == "stale"  # type: ignore[union-attr]
    [result] = images.ensure(["redis"], progress=lambda m: None)
    assert result.state == "built"
    assert engine.built == ["labkit/redis:7.0"]  # type: ignore[attr-defined]
    assert images.status("redis").state == "present"  # type: ignore[union-attr]
    assert engine.images.removed == [old.id]  # labkit's own old build, left without a name


def test_table_says_how_to_fix_a_missing_or_foreign_image(engine: FakeClient) -> None:
    engine.images.put("labkit/redis:7.0", {})
    frame = images.table(["busybox", "redis"])
    assert not frame.loc[0, "present"] and "labkit images" in frame.loc[0, "from"]
    assert not frame.loc[1, "present"] and "not built by labkit" in frame.loc[1, "from"]


def test_lab_run_never_falls_back_on_an_official_image(engine: FakeClient) -> None:
    from labkit.lab import session as lab

    theirs = engine.images.put("redis:7.0", {"learner.owns": "yes"})
    lab.require_local_image("labkit/redis:7.0")  # built, since labkit has none yet
    assert engine.built == ["labkit/debian:bookworm", "labkit/redis:7.0"]  # type: ignore
    with pytest.raises(UnknownImage) as info:
        lab.require_local_image("redis")  # `redis:latest`: neither the learner's nor ours
    assert "labkit/redis:7.0" in info.value.hint
    lab.require_local_image("redis:7.0")  # the learner's own, asked for by its name: theirs
    assert engine.images.get("redis:7.0") is theirs and engine.images.pulled == []


def test_lab_run_refuses_a_foreign_image_under_a_labkit_name(engine: FakeClient) -> None:
    from labkit.lab import session as lab

    engine.images.put("labkit/busybox", {})
    with pytest.raises(LabkitError):
        lab.require_local_image("labkit/busybox")
    assert engine.built == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("debian,upstream", [("5:7.0.15-1~deb12u7", "7.0.15"),
                                             ("1.22.1-9+deb12u9", "1.22.1"),
                                             ("1:1.35.0-4+deb12u1+b1", "1.35.0"),
                                             ("12.4+deb12u15", "12.4+deb12u15")])
def test_upstream_version(debian: str, upstream: str) -> None:
    assert images.upstream_version(debian) == upstream


# -- unpacking course-made archives, with and without tarfile's extraction filters ----------
def _tar(tmp_path: Path, members: dict[str, str | None], links: dict[str, str] | None = None
         ) -> Path:
    """A tar file with regular files {name: text} and symlinks {name: target}."""
    import io
    import tarfile

    path = tmp_path / "a.tar"
    with tarfile.open(path, "w") as tf:
        for name, text in members.items():
            data = (text or "").encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
    return path


@pytest.fixture(params=[True, False], ids=["filters", "python-3.11.2"])
def filters(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways labkit unpacks: with tarfile's filters, and as on Debian 12's Python 3.11.2."""
    if request.param and not untar.has_tar_filters():
        pytest.skip("this Python's tarfile has no extraction filters (before 3.11.4)")
    if not request.param and untar.has_tar_filters():
        # Unpack as Pythons before 3.11.4 always did (3.14 applies the "data" filter by default).
        import tarfile

        monkeypatch.setattr(tarfile.TarFile, "extraction_filter",
                            staticmethod(tarfile.fully_trusted_filter))
    # The feature check is the one door: Python 3.11.2 cannot be faked any other way here.
    monkeypatch.setattr(untar, "has_tar_filters", lambda: request.param)
    return bool(request.param)


def test_extract_all_unpacks_on_every_python(tmp_path: Path, filters: bool) -> None:
    import tarfile

    archive = _tar(tmp_path, {"etc/motd": "hi\n"}, {"etc/issue": "motd", "bin/sh": "/bin/busybox"})
    with tarfile.open(archive) as tf:
        untar.extract_all(tf, tmp_path / "tree", trust="fully_trusted")
    assert (tmp_path / "tree/etc/issue").read_text() == "hi\n"
    assert str((tmp_path / "tree/bin/sh").readlink()) == "/bin/busybox"


@pytest.mark.parametrize("members,links", [({"../evil": "x"}, {}), ({"/abs": "x"}, {}),
                                           ({}, {"etc/up": "../../outside"}),
                                           ({}, {"etc/abs": "/etc/passwd"})])
def test_extract_all_refuses_members_that_leave_the_folder(
        tmp_path: Path, filters: bool, members: dict[str, str], links: dict[str, str]) -> None:
    import tarfile

    with tarfile.open(_tar(tmp_path, members, links)) as tf:
        try:
            untar.extract_all(tf, tmp_path / "tree")
        except (LabkitError, getattr(tarfile, "FilterError", LabkitError)):  # none before 3.11.4
            pass
        else:
            assert filters, "without filters labkit must refuse such a member"
    assert not (tmp_path / "evil").exists() and not Path("/abs").exists()
    assert not (tmp_path / "tree/etc/up").is_symlink() and not (tmp_path / "tree/etc/abs").exists()


def test_extract_all_passes_no_filter_where_python_has_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tarfile

    monkeypatch.setattr(untar, "has_tar_filters", lambda: False)
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(tarfile.TarFile, "extractall",
                        lambda self, path, **kw: seen.append(kw))
    with tarfile.open(_tar(tmp_path, {"a": "1"})) as tf:
        untar.extract_all(tf, tmp_path / "tree", numeric_owner=True)
    assert seen == [{"numeric_owner": True}]
