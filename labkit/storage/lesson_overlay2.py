"""The overlay2 graphdriver, live on every engine: the learner's own, or one of the lesson's.

Taught in: 02-overlayfs-and-image-storage (section 3.6). Section 3 reads the learner's store:
overlay2's folders where the engine keeps images in the graphdriver, containerd's snapshots on
the containerd image store (Docker 29's default). The seed's overlay2 walk-through
(`GraphDriver`'s LowerDir/UpperDir/MergedDir, the data root's overlay2/ folder, the `-init`
layer, a file written into UpperDir from the host) needs an overlay2 engine. On the containerd
store the lesson starts a dockerd of its own on the overlay2 graphdriver (`start`;
`labkit.lessons.dockerd`: its own data root, exec root, pid file, socket, containerd and netns,
`--storage-driver overlay2` and `features: {containerd-snapshotter: false}`), copies the image
into it (`Overlay2Stack.save`: `docker save -o FILE`; `load`: `docker load -i FILE`) and
runs a container there with no network (`run`), one cell each. It is the mirror of section 4.1,
which starts a containerd of the lesson's own on graphdriver engines. Nothing of the learner's
is written: the image stays in their engine as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from docker.models.containers import Container

from labkit.base.errors import LabkitError, friendly
from labkit.base.facts import facts
from labkit.base.i18n import _
from labkit.base.show import Shown, docker, sh
from labkit.lab.session import Lab
from labkit.lessons import dockerd
from labkit.lessons.dockerd import LessonEngine
from labkit.storage.graphdriver import GraphDriver, inspect_storage
from labkit.storage.overlay import echo, kind
from labkit.storage.overlay2_layers import folder_label, walk

# dockerd picks the graphdriver when a registered one is named (moby 29.7.2,
# daemon/image_store_choice.go); the feature says so again for engines that read it (24+).
OVERLAY2_ARGS = ("--storage-driver", "overlay2", *dockerd.QUIET_NETWORK)
OVERLAY2_CONFIG = {"features": {"containerd-snapshotter": False}}
CONTAINER = "redis7-overlay2"


@dataclass
class Overlay2Stack:
    """A container on an engine with the overlay2 graphdriver.

    Attributes:
        container: the container (on the learner's engine, or on the lesson's once `run`
            started it; None until then).
        data_root: that engine's data root (its overlay2/ folder is below it).
        engine: the lesson's own engine, or None where the learner's engine is on overlay2.
        saved: the image `save` wrote into the lesson's engine's folder, and the archive.
        loaded: the image `load` loaded into the lesson's engine ("" until then).
    """

    container: Container | None
    data_root: Path
    engine: LessonEngine | None = None
    saved: tuple[str, Path] | None = None
    loaded: str = ""

    @property
    def whose(self) -> str:
        """"your engine" or "the lesson's engine", for the sentences the cells print."""
        return _("your engine") if self.engine is None else _("the lesson's engine")

    def cli(self, *args: str) -> list[str]:
        """The docker command for this container's engine."""
        return ["docker", *args] if self.engine is None else self.engine.cli(*args)

    def save(self, ref: str) -> None:
        """`docker save -o FILE REF` on your engine, FILE in the lesson's engine's folder,
        shown with its output (02, 3.6); a note where the container is your engine's own.

        Raises:
            LabkitError: your engine has no image REF.
        """
        if self.engine is None:
            print(_("Nothing to copy: the container is section 1's, on your engine."))
            return
        self.saved = self.engine.save(ref)

    def load(self) -> None:
        """`docker --host unix://SOCKET load -i FILE`, the file `save` wrote, shown with its
        output (02, 3.6): the slowest step, every layer unpacked; a note on your engine.

        Raises:
            LabkitError: `save` has not run, or the load failed.
        """
        if self.engine is None:
            print(_("Nothing to load: the container is section 1's, on your engine."))
            return
        if self.saved is None:
            raise LabkitError(_("No image was saved for the lesson's engine yet."),
                              _("run the cell with `o2.save(...)` first"))
        ref, archive = self.saved
        self.engine.load_archive(archive, ref)
        self.saved = None
        self.loaded = ref

    def run(self, command: list[str] | None = None) -> None:
        """`docker --host unix://SOCKET run -d --network none --name redis7-overlay2 IMAGE
        [COMMAND]` on the lesson's engine, IMAGE the one `load` loaded, shown with its output
        (02, 3.6); a note on your engine.

        Raises:
            LabkitError: `load` has not run, or the run failed.
        """
        if self.engine is None:
            print(_("Nothing to run: the container is section 1's, on your engine."))
            return
        if not self.loaded:
            raise LabkitError(_("No image was loaded into the lesson's engine yet."),
                              _("run the cell with `o2.load()` first"))
        docker(self.cli("run", "-d", "--network", "none", "--name", CONTAINER, self.loaded,
                        *(command or []))[1:])
        with friendly():
            self.container = self.engine.client.containers.get(CONTAINER)
        print(_("{box} {status} on the lesson's engine (storage driver: {driver})").format(
                  box=self.container.name, status=self.container.status, driver="overlay2"))

    def _running(self) -> Container:
        """The container, once there is one."""
        if self.container is None:
            raise LabkitError(_("The lesson's engine runs no container yet."),
                              _("run the cells with `o2.save(...)`, `o2.load()` and `o2.run()` "
                                "first"))
        return self.container

    def graphdriver(self) -> GraphDriver:
        """The container's `GraphDriver` data, read fresh.

        Raises:
            LabkitError: the engine gave no folders (it is not on overlay2), or no container
                runs there yet.
        """
        box = self._running()
        with friendly():
            box.reload()
        gd = GraphDriver.from_attrs(box.attrs)
        if not gd.upper_dir:
            raise LabkitError(_("{whose} gave no GraphDriver data for {container}.").format(
                                  whose=self.whose.capitalize(), container=box.name),
                              _("run the section again from its first cell"))
        return gd

    def inspect(self) -> None:
        """`docker [--host ...] container inspect NAME`: its storage fields, as in section 3."""
        inspect_storage("container", str(self._running().name), cli=self.cli(),
                        engine=_("{whose} (overlay2 graphdriver)").format(whose=self.whose),
                        graphdriver=True)

    def folders(self) -> pd.DataFrame:
        """The overlay2 folders the container uses, top first: role, folder, entries in diff/.

        The top LowerDir is the `-init` layer; UpperDir, MergedDir and WorkDir are in the
        container's own folder; the other LowerDirs are the image's layers.
        """
        gd = self.graphdriver()
        rows = [("container (UpperDir)", gd.upper_dir)]
        for n, path in enumerate(gd.lower_dirs):
            label = Path(path).parent.name
            role = "init" if label.endswith("-init") else \
                f"image layer {len(gd.lower_dirs) - n}"
            rows.append((role, path))
        # The container's own layer changes while it runs; the others are fixed.
        return pd.DataFrame([(role, folder_label(Path(p).parent.name), Path(p).name,
                              "-" if role.startswith("container") else len(walk(Path(p))))
                             for role, p in rows],
                            columns=["role", f"{self.data_root.name}/overlay2 folder",
                                     "sub-folder", "entries"])

    def layer_folders(self) -> pd.DataFrame:
        """Run `cat` of the container layer's `lower` file (shown, with its output: the l/
        names of the layers below it, top first), then `folders()` as a table (02, 3.6)."""
        sh(["cat", str(Path(self.graphdriver().upper_dir).parent / "lower")])
        print()
        return self.folders()

    def _init_layer(self) -> str:
        """The `-init` layer's diff/ folder among the container's lowerdirs."""
        init = next((p for p in self.graphdriver().lower_dirs
                     if Path(p).parent.name.endswith("-init")), "")
        if not init:
            raise LabkitError(_("{container} has no -init layer.").format(
                                  container=self._running().name),
                              _("run the section again from its first cell"))
        return init

    def list_init(self) -> Shown:
        """Run `ls -lAR` on the `-init` layer's diff/ (shown, with its output): the
        placeholders Docker mounts over (02, 3.6)."""
        init = self._init_layer()
        return sh(["ls", "-lAR", "--time-style=+", init])

    def init_files(self) -> list[str]:
        """What the `-init` layer's diff/ holds: the placeholders Docker mounts over."""
        init = self._init_layer()
        return ["/" + str(p.relative_to(init)) for p in walk(Path(init))
                if kind(p) != "dir" or not any(p.iterdir())]

    def write_upper(self, name: str, text: str) -> str:
        """Write one line into the container's UpperDir from the host (`sh -c 'echo ...'`),
        then read it inside the container (`docker [--host ...] exec NAME cat /NAME`) (02, 3.6).

        Returns:
            What `cat` printed.
        """
        echo(Path(self.graphdriver().upper_dir) / name, text)
        return docker(self.cli("exec", str(self._running().name), "cat", f"/{name}")[1:]).stdout

    def stop(self) -> None:
        """Stop the lesson's engine and check nothing of it is left (no-op on your engine).

        Raises:
            LabkitError: a process, mount, its netns or its folder is still there.
        """
        if self.engine is None:
            print(_("Nothing to stop: the container is section 1's, on your engine."))
            return
        self.engine.stop_and_check()
        print(_("The lesson's engine is stopped; its processes, netns and folder are gone."))


def start(lab: Lab, learner_container: Container) -> Overlay2Stack:
    """An engine with the overlay2 graphdriver: the learner's own, or a lesson's (02, 3.6).

    On an engine with the overlay2 graphdriver, LEARNER_CONTAINER itself (nothing is started).
    Otherwise (the containerd image store) a dockerd of the lesson's own on overlay2, its
    command shown; `Overlay2Stack.save` and `load` then copy an image into it, and `run` runs
    a container there.

    Raises:
        LabkitError, HostToolMissing, EngineUnavailable: the lesson's engine cannot start.
    """
    f = facts()
    if not f.containerd_store and f.storage_driver == "overlay2":
        print(_("Your engine keeps images in the overlay2 graphdriver: the cells below read "
                "{learner_container}'s folders under {data_root}/overlay2.").format(
                  learner_container=learner_container.name, data_root=f.data_root))
        return Overlay2Stack(learner_container, Path(f.data_root))
    store = _("containerd's image store") if f.containerd_store else f.storage_driver
    print(_("Your engine keeps images in {store}, so the lesson starts a dockerd of its own on "
            "the overlay2 graphdriver (data root, exec root, socket, containerd and netns in "
            "the lesson folder).\nIts data root is a tmpfs: the image unpacks in memory, "
            "faster than on disk, and on a filesystem overlay2 accepts wherever the lesson "
            "folder is. `--storage-driver overlay2` because overlay2 is the store this section "
            "reads; `--bridge none --iptables=false --ip-forward=false` because its one "
            "container needs no network and the engine must not touch this machine's "
            "firewall:").format(store=store))
    engine = dockerd.start(lab, "overlay2-engine", "ovl2", config=OVERLAY2_CONFIG,
                           extra=OVERLAY2_ARGS, data_in_memory=True)
    driver = str(engine.client.info().get("Driver", "?"))
    if driver != "overlay2":
        engine.stop()
        raise LabkitError(_("The lesson's engine chose the {driver!r} storage driver, not "
                            "overlay2.").format(driver=driver),
                          _("this kernel may lack OverlayFS (then `grep overlay "
                            "/proc/filesystems` prints nothing); the chapter's other sections "
                            "still run"))
    return Overlay2Stack(None, engine.data_root, engine)
