"""`client()` faked: a Docker SDK client with no engine behind it, and the answers it gives
(`docker inspect` of a container, `docker info`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import docker.errors
from docker.models.containers import Container

from labkit.base.labels import lesson_labels

from .seam import unfaked


# -- containers ------------------------------------------------------------------------------
def inspect_answer(name: str, *, pid: int = 4242, running: bool = True, status: str = "",
                   exit_code: int = 0, networks: dict[str, dict[str, Any]] | None = None,
                   ports: dict[str, Any] | None = None, mode: str = "default",
                   labels: dict[str, str] | None = None, links: list[str] | None = None,
                   ) -> dict[str, Any]:
    """The parts of `docker inspect NAME` that labkit reads, shaped as the engine answers."""
    return {
        "Id": f"id-{name}", "Name": f"/{name}", "Created": "2024-01-01T00:00:00Z",
        "State": {"Status": status or ("running" if running else "exited"),
                  "Running": running, "Pid": pid if running else 0, "ExitCode": exit_code},
        "Config": {"Labels": dict(labels or {})},
        "HostConfig": {"NetworkMode": mode, "Links": links},
        "NetworkSettings": {"Networks": networks or {}, "Ports": ports or {}},
    }


ExecAnswer = tuple[int, bytes | str] | Callable[[list[str]], tuple[int, bytes | str]]


class FakeContainer(Container):
    """A real SDK Container over `inspect_answer(name, **facts)`, with no engine behind it.

    Code under test reads it as it reads a real one (`.name`, `.labels`, `.status`, `.ports`,
    `.attrs`), so the SDK's own properties are exercised too. `reload()` keeps the answer and
    counts the calls; `exec_run` answers from `exec_answer` and records each command.

    Args:
        name: the container's name (its ID is "id-NAME").
        lesson: carry a lesson's labels (chapter 99, session s000000).
        exec_answer: (exit code, output), or a callable given the command; None: exec fails
            the test.
        facts: see `inspect_answer`.
    """

    def __init__(self, name: str = "c1", *, lesson: bool = False,
                 exec_answer: ExecAnswer | None = None, **facts: Any) -> None:
        if lesson:
            facts["labels"] = {**lesson_labels("99", "s000000"), **facts.get("labels", {})}
        super().__init__(attrs=inspect_answer(name, **facts))
        self.reloads = 0
        self.exec_answer = exec_answer
        self.execs: list[list[str]] = []
        self.removed = False

    def reload(self) -> None:
        self.reloads += 1

    def exec_run(self, cmd: Sequence[str], **_: Any) -> tuple[int, bytes]:
        self.execs.append(list(cmd))
        if self.exec_answer is None:
            unfaked(f"exec_run in {self.name}")(*cmd)
        answer = self.exec_answer
        code, out = answer(list(cmd)) if callable(answer) else answer
        return code, out.encode() if isinstance(out, str) else out

    def remove(self, **_: Any) -> None:
        self.removed = True


class FakeContainers:
    """`client().containers`: by name or ID from `found`; what is created is recorded.

    `found` is {name: container}; tests add to it. `create` and `run` record
    ((args), {kwargs}) in `created` and return `make(args, kwargs)` (a FakeContainer by
    default).
    """

    def __init__(self, found: Iterable[Any] = ()) -> None:
        self.found: dict[str, Any] = {c.name: c for c in found}
        self.created: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.make: Callable[[tuple[Any, ...], dict[str, Any]], Any] = (
            lambda args, kwargs: FakeContainer(kwargs.get("name") or f"made{len(self.created)}"))

    def get(self, key: str) -> Any:
        for c in self.found.values():
            if key in (c.name, c.id):
                return c
        raise docker.errors.NotFound(f"No such container: {key}")

    def list(self, all: bool = False, filters: Mapping[str, Any] | None = None,  # noqa: A002
             **_: Any) -> list[Any]:
        found = [c for c in self.found.values() if all or c.status == "running"]
        for key, wanted in (filters or {}).items():
            for value in [wanted] if isinstance(wanted, str) else wanted:
                if key == "label":
                    k, _, v = value.partition("=")
                    found = [c for c in found if k in c.labels and (not v or c.labels[k] == v)]
                elif key == "name":
                    found = [c for c in found if value in c.name]
        return found

    def create(self, *args: Any, **kwargs: Any) -> Any:
        self.created.append((args, kwargs))
        return self.make(args, kwargs)

    run = create


# -- images ----------------------------------------------------------------------------------
class FakeImage:
    """An image: its ID, inspect answer (`attrs`) and names; `tag()` calls are recorded."""

    def __init__(self, id: str, attrs: dict[str, Any] | None = None,  # noqa: A002
                 tags: Iterable[str] = (), labels: dict[str, str] | None = None) -> None:
        self.id = id
        self.attrs = dict(attrs or {})
        self.tags = list(tags)
        if labels is not None:
            self.attrs.setdefault("Config", {})["Labels"] = dict(labels)
        self.tagged: list[tuple[str, str | None]] = []

    @property
    def labels(self) -> dict[str, str]:
        return dict((self.attrs.get("Config") or {}).get("Labels") or {})

    def tag(self, repository: str, tag: str | None = None, **_: Any) -> bool:
        self.tagged.append((repository, tag))
        return True


def _with_tag(ref: str) -> str:
    return ref if ":" in ref.split("/")[-1] else f"{ref}:latest"


class FakeImages:
    """`client().images`: {reference: image}. Nothing is ever pulled unless `pull_answer` says
    what a pull returns; pulls, removals and loads are recorded."""

    def __init__(self, store: Mapping[str, FakeImage] | None = None) -> None:
        self.store: dict[str, FakeImage] = dict(store or {})
        self.pulled: list[str] = []
        self.removed: list[str] = []
        self.loaded: list[bytes] = []
        self.pull_answer: Callable[[str, str | None], Any] | None = None
        self.made = 0

    def put(self, ref: str | None, labels: dict[str, str] | None = None,
            attrs: dict[str, Any] | None = None) -> FakeImage:
        """Store a new image under REF (name:latest when no tag is given; None: an untagged
        image, found by its ID only); returns it."""
        self.made += 1
        image = FakeImage(f"sha256:{self.made:064x}", attrs, [], labels)
        key = image.id if ref is None else _with_tag(ref)
        old = self.store.get(key)
        if old is not None and key in old.tags:  # the name moves; the old image stays
            old.tags.remove(key)
            if not any(i is old for k, i in self.store.items() if k != key):
                self.store[old.id] = old
        if ref is not None:
            image.tags.append(key)
        self.store[key] = image
        return image

    def get(self, ref: str) -> FakeImage:
        for key in (ref, _with_tag(ref)):
            if key in self.store:
                return self.store[key]
        for image in self.store.values():
            if ref == image.id:
                return image
        raise docker.errors.ImageNotFound(ref)

    def list(self, all: bool = False, **_: Any) -> list[FakeImage]:  # noqa: A002
        return list({id(i): i for i in self.store.values()}.values())

    def pull(self, repository: str, tag: str | None = None, **_: Any) -> Any:
        self.pulled.append(f"{repository}:{tag}")
        if self.pull_answer is None:
            unfaked("client().images.pull")(repository, tag)
        return self.pull_answer(repository, tag)  # type: ignore[misc]

    def remove(self, image: str, **_: Any) -> None:
        found = self.get(image)
        self.removed.append(image)
        for ref in [r for r, i in self.store.items() if i is found]:
            del self.store[ref]

    def load(self, data: bytes) -> list[Any]:
        self.loaded.append(data)
        return []


# -- networks and volumes --------------------------------------------------------------------
class FakeObject:
    """A network or volume: its name and labels (`attrs["Labels"]`); `remove()` is recorded."""

    def __init__(self, name: str, labels: dict[str, str] | None = None,
                 attrs: dict[str, Any] | None = None) -> None:
        self.name = name
        self.attrs = {"Name": name, "Labels": dict(labels or {}), **(attrs or {})}
        self.removed = False

    @property
    def id(self) -> str:
        return f"id-{self.name}"

    def reload(self) -> None:
        pass

    def remove(self, **_: Any) -> None:
        self.removed = True


class FakeCollection:
    """`client().networks` or `.volumes`: the objects in `items`; creations are recorded."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self.items = list(items)
        self.created: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def list(self, names: Sequence[str] | None = None, **_: Any) -> list[Any]:
        return [x for x in self.items if names is None or x.name in names]

    def get(self, name: str) -> Any:
        for item in self.items:
            if name in (item.name, getattr(item, "id", None)):
                return item
        raise docker.errors.NotFound(name)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        self.created.append((args, kwargs))
        made = FakeObject(args[0] if args else kwargs.get("name", ""), kwargs.get("labels"))
        self.items.append(made)
        return made


# -- the client ------------------------------------------------------------------------------
class FakeAPI:
    """`client().api`, the low-level client: what labkit asks of it, answered from data.

    Attributes:
        histories: image -> its `docker history` entries (newest first).
        build_stream: the chunks a build streams, or a callable given the build's arguments
            that returns them (and may put images in the engine); arguments go to `builds`.
        pushes: (repository, tag) of each push; `push_answer(repository, tag)` gives its chunks.
        tars: image -> the chunks `get_image` (`docker save`) streams.
    """

    def __init__(self, api_version: str, ping_headers: dict[str, str]) -> None:
        self.api_version = api_version
        self.base_url = "http+docker://localhost"
        self.ping_headers = ping_headers
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.build_stream: Iterable[dict[str, Any]] | Callable[..., Iterable[dict[str, Any]]] \
            = []
        self.builds: list[dict[str, Any]] = []
        self.pushes: list[tuple[str, str | None]] = []
        self.push_answer: Callable[[str, str | None], list[dict[str, Any]]] = (
            lambda repository, tag: [])
        self.tars: dict[str, list[bytes]] = {}
        self.store: FakeImages | None = None  # the client's images, set by FakeClient

    def images(self, all: bool = False, quiet: bool = False,  # noqa: A002
               filters: Mapping[str, Any] | None = None, **_: Any) -> list[Any]:
        assert quiet, "labkit asks the low-level API for image IDs only"
        found = self.store.list(all=all) if self.store else []
        if (filters or {}).get("dangling"):
            found = [i for i in found if not i.tags]
        return [i.id for i in found]

    def get(self, url: str, timeout: float = 0, **_: Any) -> SimpleNamespace:
        assert url.endswith("/_ping"), url
        return SimpleNamespace(headers=self.ping_headers)

    def history(self, image: str) -> list[dict[str, Any]]:
        return self.histories[image]

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        self.builds.append(kwargs)
        stream = self.build_stream
        return iter(stream(**kwargs) if callable(stream) else stream)

    def push(self, repository: str, tag: str | None = None, **_: Any) -> Iterator[Any]:
        self.pushes.append((repository, tag))
        return iter(self.push_answer(repository, tag))

    def get_image(self, image: str) -> list[bytes]:
        return self.tars[image]


class FakeClient:
    """A Docker SDK client with no engine behind it: containers, images, networks, volumes,
    `info()`, `version()`, and the low-level `api`.

    Args:
        info_answer: what `info()` returns; None: calling it fails the test.
        containers: the containers the engine has.
        images: {reference: image} the engine has.
        networks: the networks (FakeObject) it has.
    """

    def __init__(self, info_answer: dict[str, Any] | None = None, *,
                 containers: Iterable[Any] = (), images: Mapping[str, FakeImage] | None = None,
                 networks: Iterable[Any] = (), server_version: str = "28.5.2",
                 api_version: str = "1.51", ping_headers: dict[str, str] | None = None) -> None:
        self.info_answer = info_answer
        self.server_version = server_version
        self.containers = FakeContainers(containers)
        self.images = FakeImages(images)
        self.networks = FakeCollection(networks)
        self.volumes = FakeCollection()
        self.api = FakeAPI(api_version, {"Builder-Version": "2"} if ping_headers is None
                           else ping_headers)
        self.api.store = self.images
        self.closed = False

    def ping(self) -> bool:
        return True

    def info(self) -> dict[str, Any]:
        if self.info_answer is None:
            unfaked("client().info")()
        return self.info_answer  # type: ignore[return-value]

    def version(self) -> dict[str, Any]:
        return {"Version": self.server_version, "ApiVersion": self.api.api_version}

    def close(self) -> None:
        self.closed = True


def info(**extra: Any) -> dict[str, Any]:
    """A `docker info` answer of a local Debian engine with overlay2 and cgroup v2."""
    return {"Driver": "overlay2", "DriverStatus": [["Backing Filesystem", "extfs"]],
            "CgroupVersion": "2", "OperatingSystem": "Debian GNU/Linux 13 (trixie)",
            "Architecture": "x86_64", "DockerRootDir": "/", **extra}
