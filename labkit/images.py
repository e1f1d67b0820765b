"""The course images: make sure each exists locally, pulling or building it from Debian.

Taught in: 00-preflight (`labkit images`). A present image costs one API call; a missing one
is pulled (online mode) or built here with a real `docker build` from Debian packages.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import docker.errors
import pandas as pd

from . import labels, rootfs, settings
from .build import build_image
from .engine import client
from .errors import UnknownImage, friendly

Progress = Callable[[str], None]
RECIPE_VERSION = "1"


@dataclass(frozen=True)
class Recipe:
    """How to make one course image without a registry.

    Attributes:
        name: the name learners type, e.g. "nginx:1.22.1".
        aliases: further tags for the same image.
        kind: "busybox" (FROM scratch, busybox-static), "debootstrap" (a whole tree),
            or "delta" (FROM base, adding the files that `packages` bring).
        packages: Debian packages the image adds.
        base: the image a "delta" recipe builds on.
        assets: the folder of labkit/assets/images holding its Dockerfile.
        version_of: the package whose version the image reports.
    """

    name: str
    kind: str
    assets: str
    aliases: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    base: str | None = None
    version_of: str = ""
    teaches: str = ""

    def fingerprint(self) -> str:
        """A hash of the recipe and its asset files (changes when either changes)."""
        h = hashlib.sha256(repr((RECIPE_VERSION, self)).encode())
        folder = resources.files("labkit") / "assets" / "images" / self.assets
        for path in sorted(_walk(folder)):
            h.update(path.encode())
            h.update((folder / path).read_bytes())
        return h.hexdigest()[:16]


def _walk(folder, prefix: str = "") -> Iterable[str]:  # type: ignore[no-untyped-def]
    for child in folder.iterdir():
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        else:
            yield f"{prefix}{child.name}"


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("busybox", "busybox", "busybox", aliases=("busybox:latest",),
           version_of="busybox-static", teaches="all chapters: a tiny shell with ip, nc, httpd"),
    Recipe("debian:bookworm", "debootstrap", "debian", aliases=("debian:12",),
           version_of="base-files", teaches="the base layer the other images share"),
    Recipe("nginx:1.22.1", "delta", "nginx", packages=("nginx",), base="debian:bookworm",
           version_of="nginx", teaches="01 front-end image, 03 networking, 04 namespaces"),
    Recipe("redis:7.0", "delta", "redis", aliases=("redis:latest",), packages=("redis-server",),
           base="debian:bookworm", version_of="redis-server",
           teaches="02 image storage, 03 the two-tier app's database"),
    Recipe("python:3.11-slim", "delta", "python", packages=("python3",),
           base="debian:bookworm", version_of="python3", teaches="03 the two-tier app's web tier"),
    Recipe("registry:2", "delta", "registry", aliases=("registry:2.8",),
           packages=("docker-registry",), base="debian:bookworm", version_of="docker-registry",
           teaches="01 multi-platform images, 02 layers on the wire"),
]}

ALIASES = {alias: r.name for r in RECIPES.values() for alias in (r.name, *r.aliases)}
ALIASES.update({"redis": "redis:7.0", "nginx": "nginx:1.22.1", "debian": "debian:bookworm",
                "python": "python:3.11-slim", "registry": "registry:2"})


def recipe_for(name: str) -> Recipe:
    """The recipe behind an image name a learner types (`redis`, `nginx:1.22.1`, ...).

    Raises:
        UnknownImage: the course has no such image.
    """
    try:
        return RECIPES[ALIASES[name]]
    except KeyError:
        known = ", ".join(sorted(RECIPES))
        raise UnknownImage(
            f"There is no image called {name!r} here, and the course cannot make one.",
            f"check the spelling (`docker images` lists what the engine has); "
            f"the course's own images are: {known}") from None


@dataclass(frozen=True)
class ImageStatus:
    """Where a course image came from this time."""

    name: str
    state: str  # "present", "pulled" or "built"
    built_locally: bool
    source: str
    seconds: float
    image_id: str = field(repr=False, default="")


def _get(name: str):  # type: ignore[no-untyped-def]
    try:
        return client().images.get(name)
    except docker.errors.ImageNotFound:
        return None


def status(name: str) -> ImageStatus | None:
    """The course image as it is now, or None when the engine lacks it."""
    recipe = recipe_for(name)
    image = _get(recipe.name)
    if image is None:
        return None
    lbl = image.labels or {}
    local = lbl.get(labels.BUILT_LOCALLY) == "true" and lbl.get(labels.RECIPE, "").startswith(
        recipe.name + "@")
    source = lbl.get(labels.SOURCE, "pulled from a registry") if local else (
        "pulled from a registry, or the learner's own")
    return ImageStatus(recipe.name, "present", local, source, 0.0, image.id)


def ensure(names: Iterable[str] | None = None, *, progress: Progress = print,
           rebuild: bool = False) -> list[ImageStatus]:
    """Make sure each course image exists locally.

    Present: done. Missing: pulled when offline mode is off and a registry answers, otherwise
    built on this machine. A "delta" image first makes sure its base exists.

    Args:
        names: which images (default: all course images).
        progress: called with a line for each slow step.
        rebuild: build again even when present (only images labkit built itself).
    """
    wanted = [recipe_for(n).name for n in (names if names is not None else RECIPES)]
    done: dict[str, ImageStatus] = {}
    for name in wanted:
        _ensure_one(RECIPES[name], done, progress, rebuild)
    prepare_assets(progress)  # a path check once they are there
    return [done[n] for n in wanted]


def foreign_arch() -> str:
    """The other common architecture (arm64 on amd64 machines, amd64 elsewhere)."""
    return "arm64" if rootfs.host_arch() != "arm64" else "amd64"


def prepare_assets(progress: Progress = print) -> None:
    """Download ahead of time what lessons need besides images, so lessons stay offline.

    Chapter 01 builds a second-architecture busybox image from Debian's busybox-static.
    """
    rootfs.busybox_binary(foreign_arch(), progress=progress)


def _ensure_one(recipe: Recipe, done: dict[str, ImageStatus], progress: Progress,
                rebuild: bool) -> ImageStatus:
    if recipe.name in done:
        return done[recipe.name]
    started = time.monotonic()
    current = status(recipe.name)
    if current is not None and not (rebuild and current.built_locally):
        done[recipe.name] = current
        return current
    if current is None and not settings.offline() and _pull(recipe, progress):
        result = ImageStatus(recipe.name, "pulled", False, "pulled from a registry",
                             time.monotonic() - started, _get(recipe.name).id)
        done[recipe.name] = result
        return result
    if recipe.base:
        _ensure_one(RECIPES[recipe.base], done, progress, False)
    image_id, source = _build(recipe, progress)
    result = ImageStatus(recipe.name, "built", True, source, time.monotonic() - started, image_id)
    done[recipe.name] = result
    return result


def _pull(recipe: Recipe, progress: Progress) -> bool:
    progress(f"pulling {recipe.name}")
    try:
        repo, tag = recipe.name.split(":") if ":" in recipe.name else (recipe.name, "latest")
        client().images.pull(repo, tag=tag)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure falls back to a local build
        progress(f"could not pull {recipe.name} ({type(exc).__name__}); building it here")
        return False


def _context(recipe: Recipe) -> Path:
    path = rootfs.cache_dir() / "build" / recipe.assets
    if path.exists():
        shutil.rmtree(path)
    src = resources.files("labkit") / "assets" / "images" / recipe.assets
    with resources.as_file(src) as folder:
        shutil.copytree(folder, path)
    return path


def base_tree(base: str, progress: Progress) -> Path:
    """The files of a base image, unpacked (cached per image ID), to diff a new layer against."""
    image = client().images.get(base)
    tree = rootfs.cache_dir() / "trees" / base.replace(":", "_").replace("/", "_")
    marker = tree.with_suffix(".id")
    if tree.is_dir() and marker.exists() and marker.read_text() == image.id:
        return tree
    progress(f"unpacking {base} to compare layers against it")
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    helper = client().containers.create(image.id, "true",
                                        labels=labels.lesson_labels("00", "images"))
    try:
        archive = tree.with_suffix(".tar")
        with open(archive, "wb") as out:
            for chunk in helper.export():
                out.write(chunk)
        with tarfile.open(archive) as tf:
            tf.extractall(tree, numeric_owner=True, filter="fully_trusted")  # noqa: S202
        archive.unlink()
    finally:
        helper.remove(force=True)
    rootfs.trim(tree)
    marker.write_text(image.id)
    return tree


def _build(recipe: Recipe, progress: Progress) -> tuple[str, str]:
    context = _context(recipe)
    work = rootfs.cache_dir() / "trees" / f"new-{recipe.assets}"
    try:
        if recipe.kind == "busybox":
            shutil.copy2(rootfs.busybox_binary(progress=progress), context / "busybox")
            version = rootfs.package_version("busybox-static")
        elif recipe.kind == "debootstrap":
            rootfs.debootstrap(work, recipe.packages, progress)
            rootfs.make_tar(work, context / "rootfs.tar")
            version = rootfs.package_version(recipe.version_of, work)
            # Keep the tree: images built on this one diff against it.
            tree = rootfs.cache_dir() / "trees" / recipe.name.replace(":", "_")
        elif recipe.kind == "delta":
            assert recipe.base is not None
            base = base_tree(recipe.base, progress)
            rootfs.debootstrap(work, recipe.packages, progress)
            members = rootfs.delta(base, work)
            progress(f"the new layer holds {len(members)} files and folders")
            rootfs.make_tar(work, context / "layer.tar", members)
            version = rootfs.package_version(recipe.version_of, work)
        else:
            raise ValueError(recipe.kind)
        source = f"built on this machine from Debian bookworm: {recipe.version_of} {version}"
        progress(f"docker build -t {recipe.name} ({source})")
        result = build_image(
            context, [recipe.name, *recipe.aliases], progress=None,
            labels={labels.BUILT_LOCALLY: "true", labels.SOURCE: source,
                    labels.RECIPE: f"{recipe.name}@{recipe.fingerprint()}"},
        )
        if recipe.kind == "debootstrap":
            if tree.exists():
                shutil.rmtree(tree)
            work.rename(tree)
            tree.with_suffix(".id").write_text(result.image_id)
        return result.image_id, source
    finally:
        if work.exists():
            shutil.rmtree(work)
        shutil.rmtree(context, ignore_errors=True)


def upstream_version(debian_version: str) -> str:
    """The upstream part of a Debian version: '5:7.0.15-1~deb12u7' -> '7.0.15'."""
    version = debian_version.split(":", 1)[-1]
    return version.rsplit("-", 1)[0] if "-" in version else version


def table(names: Iterable[str] | None = None) -> pd.DataFrame:
    """The course images as a table: present or not, built here or pulled, from which package."""
    rows = []
    for name in (names if names is not None else RECIPES):
        recipe = recipe_for(name)
        with friendly():
            st = status(recipe.name)
        version = ""
        if st is not None and st.built_locally:
            version = upstream_version(st.source.rsplit(" ", 1)[-1])
        origin = (f"debootstrap --variant=minbase {rootfs.SUITE}" if recipe.kind == "debootstrap"
                  else f"Debian package {recipe.version_of} {version}")
        rows.append({
            "image": recipe.name,
            "present": st is not None,
            "built here": bool(st and st.built_locally),
            "from": (origin if version else
                     (st.source if st else "missing: run `labkit images`")),
            "used in": recipe.teaches,
        })
    return pd.DataFrame(rows)
