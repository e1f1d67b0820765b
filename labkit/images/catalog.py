"""The course images: make sure each exists locally, built here from Debian packages.

Taught in: 00-preflight (`labkit images`). The images stand in for Docker Hub's `nginx:1.22.1`,
`redis:7.0`, ... under names of their own (`labkit/nginx:1.22.1`, ...), so a learner's own
official images are never replaced, retagged or mistaken for them. They are always built here
with a real `docker build`, never pulled (a pulled image would have another layout than the one
the chapters show). A present image costs one API call; one under a `labkit/` name that labkit
did not build is never touched.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import docker.errors
import pandas as pd

from labkit.base import labels
from labkit.base.engine import client
from labkit.base.errors import LabkitError, UnknownImage, friendly
from labkit.base.fmt import Progress
from labkit.base.i18n import _
from labkit.base.refs import Ref
from labkit.images import rootfs
from labkit.images.build import build_image
from labkit.images.untar import extract_all

RECIPE_VERSION = "2"
TREE_WORKERS = 4  # debootstraps at once: they wait on disk and network more than on CPU
NAMESPACE = "labkit/"


@dataclass(frozen=True)
class Recipe:
    """How to make one course image without a registry.

    Attributes:
        name: the image's name, in the course's own namespace, e.g. "labkit/nginx:1.22.1".
        kind: "busybox" (FROM scratch, busybox-static), "debootstrap" (a whole tree),
            or "delta" (FROM base, adding the files that `packages` bring).
        packages: Debian packages the image adds.
        base: the image a "delta" recipe builds on.
        assets: the folder of labkit/assets/images holding its Dockerfile.
        version_of: the package whose version the image reports.
        teaches: which chapters use it, for the table.
        trim: globs of what the packages leave in a delta tree that the layer must not hold
            (rootfs.trim's `extra`): a database's datadir made by its postinst, dpkg's log
            with its timestamps, documentation.
    """

    name: str
    kind: str
    assets: str
    packages: tuple[str, ...] = ()
    base: str | None = None
    version_of: str = ""
    teaches: str = ""
    trim: tuple[str, ...] = field(default=(), repr=False)

    def fingerprint(self) -> str:
        """A hash of the recipe and its asset files (changes when either changes)."""
        h = hashlib.sha256(repr((RECIPE_VERSION, self)).encode())
        if self.trim:  # outside repr: the recipes without one keep the fingerprints they had
            h.update(repr(self.trim).encode())
        folder = resources.files("labkit") / "assets" / "images" / self.assets
        for path in sorted(_walk(folder)):
            h.update(path.encode())
            h.update((folder / path).read_bytes())
        if self.base:  # a new base means a new image on top of it
            h.update(RECIPES[self.base].fingerprint().encode())
        return h.hexdigest()[:16]


def _walk(folder, prefix: str = "") -> Iterable[str]:  # type: ignore[no-untyped-def]
    for child in folder.iterdir():
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        else:
            yield f"{prefix}{child.name}"


# What the newer delta recipes leave out of their layer: dpkg's log (a timestamp per package,
# so no two builds would match) and the new packages' documentation. The older recipes keep
# both, so their layers stay the ones chapter 02 counts.
DELTA_TRIM = ("var/log/dpkg.log", "usr/share/doc/*", "usr/share/man/*", "usr/share/info/*")

RECIPES: dict[str, Recipe] = {r.name: r for r in [
    Recipe("labkit/busybox", "busybox", "busybox", version_of="busybox-static",
           teaches="all chapters: a tiny shell with ip, nc, httpd"),
    Recipe("labkit/debian:bookworm", "debootstrap", "debian", version_of="base-files",
           teaches="the base layer the other images share"),
    Recipe("labkit/nginx:1.22.1", "delta", "nginx", packages=("nginx",),
           base="labkit/debian:bookworm", version_of="nginx",
           teaches="01 front-end image, 03 networking, 04 namespaces"),
    Recipe("labkit/redis:7.0", "delta", "redis", packages=("redis-server",),
           base="labkit/debian:bookworm", version_of="redis-server",
           teaches="02 and 02b image storage"),
    Recipe("labkit/registry:2", "delta", "registry", packages=("docker-registry",),
           base="labkit/debian:bookworm", version_of="docker-registry",
           teaches="01 multi-platform images, 02 layers on the wire"),
    # MySQL itself is not in Debian; MariaDB, its fork, speaks the same protocol and SQL.
    Recipe("labkit/mariadb:10.11", "delta", "mariadb",
           packages=("mariadb-server", "mariadb-client"),
           base="labkit/debian:bookworm", version_of="mariadb-server",
           teaches="03 the notes' two-tier app: the database (MySQL-compatible)",
           trim=("var/lib/mysql/*", "run/mysqld", *DELTA_TRIM)),
    Recipe("labkit/wordpress:6.1", "delta", "wordpress",
           packages=("wordpress", "apache2", "libapache2-mod-php", "php-mysql"),
           base="labkit/debian:bookworm", version_of="wordpress",
           teaches="03 the notes' two-tier app: WordPress on apache2 and PHP",
           trim=("var/log/apache2/*", "run/apache2", "var/lib/php/sessions/*", *DELTA_TRIM)),
]}


def _short_forms(name: str) -> tuple[str, ...]:
    """What a learner may type for a course image: its name, without its tag, without labkit/."""
    parsed = Ref.parse(name).or_latest()
    bare = parsed.name.removeprefix(NAMESPACE)
    return (name, str(parsed), parsed.name, bare)


# Every form resolves to a labkit/ name; `redis:7.0` or `redis:latest` (Docker Hub's names,
# perhaps the learner's own images) are deliberately not among them.
ALIASES = {form: r.name for r in RECIPES.values() for form in _short_forms(r.name)}


def recipe_for(name: str) -> Recipe:
    """The recipe behind a course image's name (`labkit/redis:7.0`, also `labkit/redis`, `redis`).

    Raises:
        UnknownImage: the course has no such image.
    """
    try:
        return RECIPES[ALIASES[name]]
    except KeyError:
        known = ", ".join(sorted(RECIPES))
        raise UnknownImage(
            _("There is no image called {name!r} here, and the course cannot make one.").format(
                name=name),
            _("check the spelling (`docker images` lists what the engine has); the course's "
              "own images are: {known}").format(known=known)) from None


@dataclass(frozen=True)
class ImageStatus:
    """A course image as the engine has it, or where it came from this time.

    `state` is "present" (built by labkit from the current recipe), "built" (just now),
    "stale" (built by labkit from an older recipe: rebuilt by `ensure`) or "foreign" (an image
    under the course's name that labkit did not build: never used, never replaced).
    """

    name: str
    state: str
    built_locally: bool
    source: str
    seconds: float
    image_id: str = field(repr=False, default="")

    @property
    def usable(self) -> bool:
        """Whether the course can use it as it is."""
        return self.state in {"present", "built"}


def _get(name: str):  # type: ignore[no-untyped-def]
    try:
        return client().images.get(name)
    except docker.errors.ImageNotFound:
        return None


def status(name: str) -> ImageStatus | None:
    """The course image as it is now, or None when the engine lacks it (see ImageStatus)."""
    recipe = recipe_for(name)
    image = _get(recipe.name)
    if image is None:
        return None
    lbl = image.labels or {}
    ours = lbl.get(labels.BUILT_LOCALLY) == "true" and lbl.get(labels.RECIPE, "").startswith(
        recipe.name + "@")
    if not ours:
        return ImageStatus(recipe.name, "foreign", False, "not built by labkit", 0.0, image.id)
    current = lbl.get(labels.RECIPE) == f"{recipe.name}@{recipe.fingerprint()}"
    return ImageStatus(recipe.name, "present" if current else "stale", True,
                       lbl.get(labels.SOURCE, "built on this machine"), 0.0, image.id)


def foreign_image(name: str) -> LabkitError:
    """The error for an image under a course name that labkit did not build."""
    return LabkitError(
        _("The engine has an image called {name!r} that labkit did not build; the course will "
          "neither use nor replace it.").format(name=name),
        _("if it is yours, give it another name (`docker tag {name} NEW-NAME`), then remove "
          "this name (`docker rmi {name}`) and run `labkit images`").format(name=name))


def ensure(names: Iterable[str] | None = None, *, progress: Progress = print,
           rebuild: bool = False) -> list[ImageStatus]:
    """Make sure each course image exists locally, built by labkit from its current recipe.

    Present: done. Missing, or built by labkit from an older recipe: built on this machine
    (never pulled, offline mode or not). A "delta" image first makes sure its base exists.

    Args:
        names: which images (default: all course images).
        progress: called with a line for each slow step.
        rebuild: build again even when present (only images labkit built itself).

    Raises:
        LabkitError: an image under a course name was not built by labkit (left untouched).
    """
    wanted = [recipe_for(n).name for n in (names if names is not None else RECIPES)]
    done: dict[str, ImageStatus] = {}
    known = {name: status(name) for name in wanted}  # read once; nothing is built yet
    with Trees(progress) as trees:
        for name, current in known.items():  # every tree to make starts now
            if current is None or current.state == "stale" or (
                    rebuild and current.state == "present"):
                trees.start(RECIPES[name])
        for name in wanted:
            _ensure_one(RECIPES[name], done, progress, rebuild, trees, known)
    prepare_assets(progress)  # a path check once they are there
    return [done[n] for n in wanted]


class Trees:
    """The Debian trees of the "delta" images to build, made side by side in the background.

    Each delta image's tree (debootstrap with its packages) does not depend on its base image,
    only the layer computed from it does; making them at once, while the base image builds,
    saves most of their time. A tree nobody asks for is removed on exit.
    """

    make = staticmethod(rootfs.debootstrap)  # (target, packages, progress, cache) -> target

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.pool = ThreadPoolExecutor(max_workers=TREE_WORKERS, thread_name_prefix="tree")
        self.futures: dict[str, Future[Path]] = {}

    def __enter__(self) -> Trees:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for name in self.futures:
            work = _work_dir(RECIPES[name])
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)

    def start(self, recipe: Recipe) -> None:
        """Begin making RECIPE's tree (a delta recipe), if it is not under way yet."""
        if recipe.kind == "delta" and recipe.name not in self.futures:
            self.futures[recipe.name] = self.pool.submit(
                self.make, _work_dir(recipe), recipe.packages, self.progress, recipe.assets)

    def take(self, recipe: Recipe) -> Path:
        """RECIPE's tree, made now or waited for; the caller owns it from here."""
        self.start(recipe)
        return self.futures.pop(recipe.name).result()


def foreign_arch() -> str:
    """The other common architecture (arm64 on amd64 machines, amd64 elsewhere)."""
    return "arm64" if rootfs.host_arch() != "arm64" else "amd64"


def prepare_assets(progress: Progress = print) -> None:
    """Download ahead of time what lessons need besides images, so lessons stay offline.

    Chapter 01 builds a second-architecture busybox image from Debian's busybox-static.
    """
    rootfs.busybox_binary(foreign_arch(), progress=progress)


def _ensure_one(recipe: Recipe, done: dict[str, ImageStatus], progress: Progress,
                rebuild: bool, trees: Trees,
                known: dict[str, ImageStatus | None] | None = None) -> ImageStatus:
    if recipe.name in done:
        return done[recipe.name]
    started = time.monotonic()
    # A status `ensure` read before anything was built holds until this image is handled.
    current = known.pop(recipe.name) if known and recipe.name in known else status(recipe.name)
    if current is not None and current.state == "foreign":
        raise foreign_image(recipe.name)
    if current is not None and current.state == "present" and not rebuild:
        done[recipe.name] = current
        return current
    trees.start(recipe)
    if recipe.base:
        _ensure_one(RECIPES[recipe.base], done, progress, False, trees, known)
    if current is not None and current.state == "stale":
        progress(_("{recipe} was built from an older recipe; building it again").format(
                     recipe=recipe.name))
    image_id, source = _build(recipe, progress, trees)
    if current is not None and current.image_id != image_id:
        _drop_old(current.image_id)
    result = ImageStatus(recipe.name, "built", True, source, time.monotonic() - started, image_id)
    done[recipe.name] = result
    return result


def _drop_old(image_id: str) -> None:
    """Remove labkit's own older build once it has no name left, unless something uses it."""
    try:
        if not client().images.get(image_id).tags:
            client().images.remove(image_id)
    except docker.errors.APIError:  # gone already, or a container or image builds on it
        pass


def _context(recipe: Recipe) -> Path:
    path = rootfs.cache_dir() / "build" / recipe.assets
    if path.exists():
        shutil.rmtree(path)
    src = resources.files("labkit") / "assets" / "images" / recipe.assets
    with resources.as_file(src) as folder:
        shutil.copytree(folder, path)
    return path


def _tree_dir(name: str) -> Path:
    return rootfs.cache_dir() / "trees" / name.replace(":", "_").replace("/", "_")


def base_tree(base: str, progress: Progress) -> Path:
    """The files of a base image, unpacked (cached per image ID), to diff a new layer against."""
    image = client().images.get(base)
    tree = _tree_dir(base)
    marker = tree.with_suffix(".id")
    if tree.is_dir() and marker.exists() and marker.read_text() == image.id:
        return tree
    progress(_("unpacking {base} to compare layers against it").format(base=base))
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
            extract_all(tf, tree, trust="fully_trusted", numeric_owner=True)
        archive.unlink()
    finally:
        helper.remove(force=True)
    rootfs.trim(tree)
    marker.write_text(image.id)
    return tree


def _work_dir(recipe: Recipe) -> Path:
    return rootfs.cache_dir() / "trees" / f"new-{recipe.assets}"


def _build(recipe: Recipe, progress: Progress, trees: Trees) -> tuple[str, str]:
    context = _context(recipe)
    work = _work_dir(recipe)
    try:
        if recipe.kind == "busybox":
            shutil.copy2(rootfs.busybox_binary(progress=progress), context / "busybox")
            version = rootfs.package_version("busybox-static")
        elif recipe.kind == "debootstrap":
            rootfs.debootstrap(work, recipe.packages, progress)
            rootfs.make_tar(work, context / "rootfs.tar")
            version = rootfs.package_version(recipe.version_of, work)
            # Keep the tree: images built on this one diff against it.
            tree = _tree_dir(recipe.name)
        elif recipe.kind == "delta":
            assert recipe.base is not None
            base = base_tree(recipe.base, progress)
            work = trees.take(recipe)
            rootfs.trim(work, recipe.trim)
            members = rootfs.delta(base, work)
            progress(_("the new layer holds {count} files and folders").format(
                         count=len(members)))
            rootfs.make_tar(work, context / "layer.tar", members)
            version = rootfs.package_version(recipe.version_of, work)
        else:
            raise ValueError(recipe.kind)
        source = f"built on this machine from Debian bookworm: {recipe.version_of} {version}"
        # Not a command line: the build goes through the Docker SDK, not the docker CLI.
        progress(_("building {recipe} with the Docker SDK ({source})").format(
                     recipe=recipe.name, source=source))
        result = build_image(
            context, recipe.name, progress=None,
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
    """The course images as a table: present or not, built here, from which Debian package."""
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
        if st is None:
            origin = "missing: run `labkit images`"
        elif st.state == "foreign":
            origin = "not built by labkit: rename it, then run `labkit images`"
        elif st.state == "stale":
            origin = "built from an older recipe: run `labkit images`"
        rows.append({
            "image": recipe.name,
            "present": st is not None and st.usable,
            "built here": bool(st and st.built_locally),
            "from": origin,
            "used in": recipe.teaches,
        })
    return pd.DataFrame(rows)
