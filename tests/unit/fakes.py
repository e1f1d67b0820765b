"""The unit tests' one fake seam, and every fake it installs (as docker-py's fake_api_client).

labkit reaches the machine through four doors: `host()` (commands and files on the Docker
host), `client()` (the Docker SDK), `settings.is_root()` and `engine.system()` (apt, dockerd,
which). `use_fakes()` puts a fake behind each door it is given and puts the previous one back
on exit, so no test patches a module's imported `host`, `client` or `require_root`.

The `fakes` fixture (conftest.py) calls it for one test; the autouse fixture there first puts
a fake behind every door that fails loudly (`Unfaked`), so a test that forgets to fake
something gets an error, never this machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker.errors
from docker.models.containers import Container

from labkit.base import engine, provision, settings, wait
from labkit.base import host as host_mod
from labkit.base.errors import CommandFailed
from labkit.base.host import Result
from labkit.base.labels import lesson_labels
from labkit.storage.graphdriver import chain_ids

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # real root: whiteouts need mknod


class Unfaked(BaseException):  # noqa: N818 - says what happened, as pytest shows it
    """A test reached a door it did not fake. A BaseException, so that labkit's own
    `except Exception` fallbacks cannot swallow it and carry on against this machine."""


def unfaked(what: str, hint: str = "give it one with the `fakes` fixture"
            ) -> Callable[..., Any]:
    """A callable that fails the test loudly when called: WHAT was not faked."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        shown = " ".join(str(a) for a in args)
        raise Unfaked(f"this test did not fake {what} (called with: {shown or 'nothing'}); "
                      + hint)

    return refuse


# -- the seam --------------------------------------------------------------------------------
@dataclass
class Fakes:
    """What stands behind each door now (the values `use_fakes` installed or kept)."""

    host: Any = None
    client: Any = None
    root: bool | None = None
    system: engine.System | None = None
    clock: FakeClock | None = None


_current = [Fakes()]  # a stack: what each open use_fakes block installed, innermost last


@contextmanager
def use_fakes(*, host: Any = None, client: Any = None, root: bool | None = None,
              system: engine.System | None = None, clock: FakeClock | None = None
              ) -> Iterator[Fakes]:
    """Put fakes behind labkit's doors for the block; what is not given stays as it was.

    Args:
        host: answers `host()` (a FakeHost).
        client: answers `client()` without a ping (a FakeClient).
        root: what `settings.is_root()` says, hence `require_root()` and the state folder.
        system: the machine `engine.system()` is (FakeMachine.system()). Given without a
            client, `client()` comes from this system's `docker()`, as it would for real.
        clock: the time labkit.base.wait reads and sleeps on (wait's own seam: its module
            attributes `clock` and `sleep`).

    Yields:
        What now stands behind every door.
    """
    now = Fakes(**vars(_current[-1]))
    with ExitStack() as undo:
        if system is not None:
            previous_system = engine.use_system(system)
            undo.callback(engine.use_system, previous_system)
            now.system = system
            if client is None:  # the fake machine's own engine answers
                undo.callback(engine.use_client, engine.use_client(None))
                now.client = None
        if client is not None:
            undo.callback(engine.use_client, engine.use_client(client))
            now.client = client
        if host is not None:
            undo.callback(host_mod.use_host, host_mod.use_host(host))
            now.host = host
        if root is not None:
            undo.callback(settings.use_root, settings.use_root(root))
            now.root = root
        if clock is not None:
            undo.callback(setattr, wait, "sleep", wait.sleep)
            undo.callback(setattr, wait, "clock", wait.clock)
            wait.clock, wait.sleep = clock.clock, clock.sleep
            now.clock = clock
        _current.append(now)
        undo.callback(_current.pop)
        yield now


def strict_system() -> engine.System:
    """A machine on which every act fails loudly: the autouse fixture's System."""
    return engine.System(
        run=unfaked("engine.system().run"), which=unfaked("engine.system().which"),
        exists=unfaked("engine.system().exists"), read_text=unfaked("engine.system().read_text"),
        docker=unfaked("engine.system().docker"), spawn=unfaked("engine.system().spawn"),
        is_root=lambda: settings.is_root(), system=unfaked("engine.system().system"))


class UnfakedClient:
    """The autouse fixture's client: any use of it fails loudly."""

    def __getattr__(self, name: str) -> Any:
        unfaked(f"client().{name}")()


# -- time ------------------------------------------------------------------------------------
class FakeClock:
    """Time that passes only when someone sleeps; `sleeps` records every nap."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- the Docker host -------------------------------------------------------------------------
Answer = str | tuple[int, str, str] | Callable[[tuple[str, ...]], Any]


class FakeHost:
    """The Docker host: answers `run` from {argv prefix: answer}, files from {path: text}.

    The longest matching prefix answers; an answer is the output, (code, out, err), or a
    callable given the argv. A command no prefix matches prints nothing and succeeds, unless
    `strict`: then it fails the test (`Unfaked`), as do unknown files and `has_tool`.
    Every command is recorded in `calls`.
    """

    def __init__(self, answers: dict[tuple[str, ...], Answer] | None = None,
                 files: dict[str, str] | None = None, *, mode: str = "local",
                 strict: bool = False) -> None:
        self.answers = answers or {}
        self.files = files or {}
        self.mode = mode
        self.strict = strict
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, check: bool = True, **_: Any) -> Result:
        argv = tuple(str(a) for a in argv)
        self.calls.append(argv)
        best = max((k for k in self.answers if argv[: len(k)] == k), key=len, default=None)
        if best is None and self.strict:
            unfaked("host().run")(*argv)
        answer: Any = self.answers[best] if best is not None else ""
        if callable(answer):
            answer = answer(argv)
        code, out, err = (0, answer, "") if isinstance(answer, str) else answer
        if check and code != 0:
            raise CommandFailed(f"`{' '.join(argv)}` failed: {err}")
        return Result(argv, code, out, err)

    def json(self, argv: Sequence[str]) -> Any:
        out = self.run(argv).stdout.strip()
        return json.loads(out) if out else []

    def read_text(self, path: str) -> str:
        if path not in self.files:
            if self.strict:
                unfaked("host().read_text")(path)
            raise OSError(path)
        return self.files[path]

    def has_tool(self, name: str) -> bool:
        if self.strict:
            unfaked("host().has_tool")(name)
        return True


def readlink_answer(table: dict[int, dict[str, int]]) -> Callable[[tuple[str, ...]], Any]:
    """A `readlink /proc/PID/ns/T ...` answer from {pid: {type: inode}}."""

    def answer(argv: tuple[str, ...]) -> tuple[int, str, str]:
        lines, err = [], ""
        for path in argv[1:]:
            _, _, pid, _, kind = path.split("/")
            inode = table.get(int(pid), {}).get(kind)
            if inode is None:
                err = f"readlink: {path}: Permission denied"
            else:
                lines.append(f"{kind}:[{inode}]")
        return (1 if err else 0), "\n".join(lines) + "\n", err

    return answer


def link_json(ifindex: int, name: str, *, peer: int | None = None, master: str | None = None,
              kind: str = "veth", mac: str = "aa:bb:cc:dd:ee:ff",
              addrs: tuple[tuple[str, int], ...] = (), state: str = "UP") -> dict[str, Any]:
    """One interface as `ip -d -j addr show` prints it (the fields labkit reads)."""
    item: dict[str, Any] = {"ifindex": ifindex, "ifname": name, "operstate": state,
                            "address": mac, "linkinfo": {"info_kind": kind} if kind else {},
                            "addr_info": [{"family": "inet", "local": a, "prefixlen": p}
                                          for a, p in addrs]
                            + [{"family": "inet6", "local": "fe80::1", "prefixlen": 64}]}
    if peer is not None:
        item["link_index"] = peer
    if master:
        item["master"] = master
    return item


def addr_json(interfaces: Mapping[str, Sequence[str]]) -> str:
    """`ip -d -j addr show` printing {interface: ["addr/prefix", ...]} (IPv4 and IPv6)."""
    return json.dumps([
        {"ifindex": n, "ifname": name, "addr_info": [
            {"family": "inet" if "." in a else "inet6", "local": a.split("/")[0],
             "prefixlen": int(a.split("/")[1])} for a in addrs]}
        for n, (name, addrs) in enumerate(interfaces.items(), start=1)])


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


# -- the machine (apt, dockerd, which) -------------------------------------------------------
DEBIAN = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n"


@dataclass
class FakeMachine:
    """This machine, faked: which programs exist, what dpkg and apt know, which engine answers.

    Attributes:
        tools: program -> path for the programs present.
        installed: Debian packages dpkg reports as installed.
        candidates: package -> version apt could install (others: "(none)").
        brings: package -> programs that installing it makes present.
        engine: the client that answers, or None (no engine).
        starts: the client that answers once dockerd is started (systemctl or spawned).
        paths: paths that exist (e.g. "/run/systemd/system").
        buildx: whether `docker buildx version` succeeds.
        iptables: what `iptables --version` prints.
        root: whether we are root (`system().is_root()` and `settings.is_root()` both say so).
        files: path -> text that `read_text` gives (besides /etc/os-release).
    """

    tools: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)
    candidates: dict[str, str] = field(default_factory=dict)
    brings: dict[str, list[str]] = field(default_factory=dict)
    engine: FakeClient | None = None
    starts: FakeClient | None = None
    paths: set[str] = field(default_factory=set)
    buildx: bool = True
    iptables: str = "iptables v1.8.11 (nf_tables)\n"
    os_name: str = "Linux"
    os_release: str = DEBIAN
    calls: list[list[str]] = field(default_factory=list)
    spawned: list[list[str]] = field(default_factory=list)

    @property
    def root(self) -> bool:
        return settings.is_root()

    @root.setter
    def root(self, value: bool) -> None:
        # The fixture's use_fakes puts the previous answer back after the test.
        settings.use_root(value)

    def with_tools(self, *names: str, missing: Sequence[str] = ()) -> FakeMachine:
        """Make these programs present (apt-get and all of labkit's TOOLS when none are named)."""
        for name in names or ["apt-get", *provision.TOOLS]:
            if name not in missing:
                self.tools[name] = f"/usr/bin/{name}"
        return self

    @property
    def apt_get(self) -> list[list[str]]:
        """Every apt-get command line run, in order."""
        return [c for c in self.calls if c[0] == "apt-get"]

    def run(self, argv: Sequence[str], env: Mapping[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append(argv)
        name = Path(argv[0]).name
        out, code = "", 0
        if name == "dpkg-query":
            out = "".join(f"{p}\tinstall ok installed\n" for p in argv[3:] if p in self.installed)
            code = 0 if all(p in self.installed for p in argv[3:]) else 1
        elif name == "apt-cache":
            out = f"{argv[2]}:\n  Installed: (none)\n  Candidate: " \
                  f"{self.candidates.get(argv[2], '(none)')}\n"
        elif name == "apt-get" and argv[1] == "install":
            assert env is not None and env["DEBIAN_FRONTEND"] == "noninteractive"
            package = argv[-1]
            self.installed.add(package)
            for tool in self.brings.get(package, []):
                self.tools[tool] = f"/usr/bin/{tool}"
        elif name == "docker":
            code = 0 if self.buildx and "docker" in self.tools else 127
        elif name == "iptables":
            out = self.iptables
        elif name == "systemctl" and argv[1] == "start":
            code = 0 if self.starts is not None else 5  # 5: no such unit
            self.engine = self.engine or self.starts
        return subprocess.CompletedProcess(argv, code, out, "")

    def _docker(self) -> FakeClient:
        if self.engine is None:
            raise ConnectionRefusedError("no engine")
        return self.engine

    def _spawn(self, argv: list[str], log: Path) -> SimpleNamespace:
        self.spawned.append(argv)
        self.engine = self.engine or self.starts
        return SimpleNamespace(pid=4242, poll=lambda: None)

    def system(self) -> engine.System:
        """The labkit System that acts on this fake machine."""
        return engine.System(
            run=self.run, which=self.tools.get, exists=lambda p: p in self.paths,
            read_text=lambda p: self.os_release if p == "/etc/os-release"
            else self.files.get(p, ""),
            docker=self._docker, spawn=self._spawn, is_root=settings.is_root,
            system=lambda: self.os_name)


# -- the docker CLI (probes.docker_cli runs it itself) ---------------------------------------
@dataclass
class FakeDockerCLI:
    """A `docker` program in FOLDER that prints STDOUT and STDERR and exits with CODE;
    put FOLDER first on PATH. `calls` reads back every command line it was run with."""

    folder: Path
    stdout: str = ""
    stderr: str = ""
    code: int = 0

    def __post_init__(self) -> None:
        self.path = self.folder / "docker"
        self.path.write_text(
            f"#!{sys.executable}\nimport json, sys\n"
            f"with open({str(self.folder / 'calls.jsonl')!r}, 'a') as log:\n"
            "    log.write(json.dumps(sys.argv) + '\\n')\n"
            f"sys.stdout.write({self.stdout!r})\nsys.stderr.write({self.stderr!r})\n"
            f"sys.exit({self.code})\n")
        self.path.chmod(0o755)

    @property
    def calls(self) -> list[list[str]]:
        log = self.folder / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# -- lessons ---------------------------------------------------------------------------------
class FakeLedger:
    def __init__(self, entries: list[dict[str, Any]] | None = None) -> None:
        self.entries = entries or []


class FakeLab:
    """The parts of Lab that lessons call, with nothing behind them.

    Folders are made under ROOT; mounts, symlinks and veths are recorded (`mounts`,
    `recorded`), not made; names are never taken; the ledger holds ENTRIES.
    """

    def __init__(self, root: Path | None = None,
                 entries: list[dict[str, Any]] | None = None) -> None:
        self.root = root
        self.mounts: list[list[str]] = []
        self.recorded: list[tuple[str, Any]] = []
        self.ledger = FakeLedger(entries)

    def workdir(self, name: str) -> Path:
        assert self.root is not None, "FakeLab(root) makes folders"
        path = self.root / name
        path.mkdir(parents=True)
        return path

    def mount(self, argv: list[str], target: Path) -> None:
        self.mounts.append(list(argv))

    def made(self, kind: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.ledger.entries if e.get("kind") == kind]

    def name(self, base: str, kind: str = "container") -> str:
        return base

    def symlink(self, link: str, points_to: str) -> Path:
        self.recorded.append(("symlink", (link, points_to)))
        return Path(link)

    def veth(self, name: str, peer: str) -> tuple[str, str]:
        self.recorded.append(("link", name))
        return name, peer


# -- a Docker root on disk (chapter 02) ------------------------------------------------------
def whiteout(path: Path) -> None:
    """A real whiteout (character device 0,0); needs root."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR, os.makedev(0, 0))


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeStore:
    """A /var/lib/docker with one image whose layers hold the given files."""

    root: Path
    diff_ids: list[str]
    cache_ids: list[str]
    links: list[str]

    def layer_diff(self, n: int) -> Path:
        return self.root / "overlay2" / self.cache_ids[n] / "diff"


def make_store(root: Path, layers: list[dict[str, str | None]]) -> FakeStore:
    """Write layerdb and overlay2 folders for layers (bottom first; None = whiteout)."""
    diff_ids = [digest(f"layer {n}") for n in range(len(layers))]
    cache_ids = [hashlib.sha256(f"cache {n}".encode()).hexdigest() for n in range(len(layers))]
    links = [f"LINK{n}".ljust(26, "X") for n in range(len(layers))]
    (root / "overlay2" / "l").mkdir(parents=True)
    for n, (files, chain) in enumerate(zip(layers, chain_ids(diff_ids), strict=True)):
        db = root / "image" / "overlay2" / "layerdb" / "sha256" / chain.split(":")[1]
        db.mkdir(parents=True)
        (db / "cache-id").write_text(cache_ids[n])
        (db / "size").write_text(str(sum(len(t or "") for t in files.values())))
        folder = root / "overlay2" / cache_ids[n]
        (folder / "diff").mkdir(parents=True)
        (folder / "link").write_text(links[n])
        if n:
            (folder / "lower").write_text(":".join(f"l/{x}" for x in reversed(links[:n])))
        os.symlink(f"../{cache_ids[n]}/diff", root / "overlay2" / "l" / links[n])
        for rel, text in files.items():
            path = folder / "diff" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if text is None:
                whiteout(path)
            else:
                path.write_text(text)
    return FakeStore(root, diff_ids, cache_ids, links)


def image_attrs(store: FakeStore, tags: list[str]) -> dict[str, Any]:
    """The inspect answer of the store's image (overlay2 folders, its layers' diff_ids)."""
    lower = ":".join(str(store.layer_diff(n)) for n in reversed(range(len(store.cache_ids) - 1)))
    top = store.root / "overlay2" / store.cache_ids[-1]
    return {
        "Id": digest("config"), "RepoTags": tags, "Size": 123456,
        "Config": {"Cmd": ["run"], "User": "", "WorkingDir": "", "ExposedPorts": {"1/tcp": {}}},
        "RootFS": {"Type": "layers", "Layers": list(store.diff_ids)},
        "GraphDriver": {"Name": "overlay2", "Data": {
            "LowerDir": lower, "UpperDir": str(top / "diff"), "MergedDir": str(top / "merged"),
            "WorkDir": str(top / "work")}},
    }


def store_client(images: Mapping[str, FakeImage], driver: str = "overlay2",
                 root: str = "/var/lib/docker") -> FakeClient:
    """A client whose engine keeps IMAGES in a Docker root at ROOT with DRIVER."""
    return FakeClient({"Driver": driver, "DockerRootDir": root}, images=images)
