"""labkit.storage.graphdriver against a fake Docker root: layerdb, overlay2 folders, l/ names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from labkit.base.errors import LabkitError
from labkit.storage import graphdriver, overlay2_layers
from labkit.storage import store as image_store
from labkit.storage.graphdriver import GraphDriver

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer, FakeImage, info
from .fakes.docker_root import IS_ROOT, image_attrs, make_store, store_client, whiteout
from .fakes.host import FakeHost
from .fakes.machine import FakeMachine
from .fakes.seam import Fakes

# A container's own /proc/PID/mountinfo: its root is the overlay.
MOUNTINFO = (
    "48 42 0:39 / / rw,relatime master:2 - overlay overlay "
    "rw,lowerdir=/var/lib/docker/overlay2/l/AAA:/var/lib/docker/overlay2/l/BBB,"
    "upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work\n"
    "49 48 0:40 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
)
NOT_OVERLAY = "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard\n"


def test_chain_ids_follow_the_image_spec() -> None:
    a, b, c = "sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "c" * 64
    chains = overlay2_layers.chain_ids([a, b, c])
    assert chains[0] == a
    assert chains[1] == "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chains[2] == "sha256:" + hashlib.sha256(f"{chains[1]} {c}".encode()).hexdigest()
    assert overlay2_layers.chain_ids([]) == []


def test_graphdriver_from_attrs_keeps_docker_order() -> None:
    attrs = {"GraphDriver": {"Name": "overlay2", "Data": {
        "LowerDir": "/d/overlay2/" + "1" * 64 + "-init/diff:/d/overlay2/" + "2" * 64 + "/diff",
        "UpperDir": "/d/overlay2/" + "3" * 64 + "/diff", "MergedDir": "/d/m", "WorkDir": "/d/w"}}}
    gd = GraphDriver.from_attrs(attrs)
    assert gd.name == "overlay2" and len(gd.lower_dirs) == 2
    frame = gd.to_frame()
    assert list(frame["field"])[:2] == ["LowerDir 1 of 2", "LowerDir 2 of 2"]
    assert frame.iloc[0]["overlay2 folder"] == "1" * 12 + "-init"
    assert frame.iloc[2]["sub-folder"] == "diff"
    assert GraphDriver.from_attrs({}).lower_dirs == ()
    assert gd.source == "GraphDriver.Data" and gd.name_field == "GraphDriver.Name"
    assert "from `GraphDriver.Data`" in gd.read_from()


def test_graphdriver_from_attrs_reads_engine_29s_storage_field() -> None:
    # API 1.52 on the containerd store: no GraphDriver, a container's Storage (moby#50857)
    gd = GraphDriver.from_attrs({"Storage": {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}})
    assert (gd.name, gd.name_field, gd.source) == (
        "overlayfs", "Storage.RootFS.Snapshot.Name", "")
    assert gd.read_from() == (
        "`docker inspect` gives `Storage.RootFS.Snapshot.Name` = overlayfs and no folders")
    # before API 1.52: GraphDriver with the snapshotter's name and Data null
    old = GraphDriver.from_attrs({"GraphDriver": {"Name": "overlayfs", "Data": None}})
    assert (old.name, old.name_field, old.source) == ("overlayfs", "GraphDriver.Name", "")
    assert GraphDriver.from_attrs({}).read_from() == (
        "`docker inspect` gives no storage field and no folders")


@pytest.mark.parametrize(("kind", "driver", "api", "field"), [
    ("image", "overlay2", "1.55", "GraphDriver"),
    ("container", "overlay2", "1.55", "GraphDriver"),
    ("container", "overlayfs", "1.51", "GraphDriver"),
    ("container", "overlayfs", "1.52", "Storage"),
    ("image", "overlayfs", "1.55", "GraphDriver"),
])
def test_storage_field_per_store_and_api(kind, driver, api, field) -> None:
    assert graphdriver.storage_field(kind, driver == "overlayfs", api) == field


@pytest.mark.parametrize(("field", "printed", "said"), [
    ("GraphDriver", '{"Data":{"LowerDir":"/l","UpperDir":"/u"},"Name":"overlay2"}',
     "gives `GraphDriver`: folders from `GraphDriver.Data`"),
    ("Storage", '{"RootFS":{"Snapshot":{"Name":"overlayfs"}}}',
     "gives `Storage`: `docker inspect` gives `Storage.RootFS.Snapshot.Name` = overlayfs"),
    ("GraphDriver", "null", "gives no `GraphDriver` (null): from API 1.52 (Engine 29)"),
])
def test_inspect_storage_runs_the_inspect_it_prints(
        field, printed, said, fakes: Callable[..., Fakes], capsys) -> None:
    graph = "overlay2" in printed
    engine = store_client({}) if graph else FakeClient(info(
        Driver="overlayfs", DriverStatus=[["driver-type", "io.containerd.snapshotter.v1"]]),
        api_version="1.55" if field == "Storage" else "1.51")
    cli = CliEngine(engine)
    cli.answers[("docker", "container", "inspect")] = (0, printed + "\n", "")
    fakes(client=engine, system=cli.system())
    graphdriver.inspect_storage("container", "box", engine="the engine",
                                graphdriver=graph)
    argv = ["docker", "container", "inspect", "-f", f"{{{{json .{field}}}}}", "box"]
    assert [c[0] for c in cli.calls if "inspect" in c[0]] == [argv]
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [f"$ docker container inspect -f '{{{{json .{field}}}}}' box",
                                    printed]
    assert said in out


def test_inspect_storage_raises_where_a_graphdriver_engine_gives_no_data(
        fakes: Callable[..., Fakes]) -> None:
    cli = CliEngine(store_client({}))
    cli.answers[("docker", "image", "inspect")] = (0, "null\n", "")
    fakes(client=store_client({}), system=cli.system())
    with pytest.raises(LabkitError, match="no GraphDriver data on a graphdriver"):
        graphdriver.inspect_storage("image", "img:1")
    assert cli.calls[-1][0][:4] == ["docker", "image", "inspect", "-f"]


@pytest.fixture
def store(tmp_path: Path, fakes: Callable[..., Fakes]):
    layers = [{"etc/passwd": "root\n", "bin/sh": "#!\n"},
              {"etc/passwd": "root\nredis\n", "etc/redis.conf": "port 6379\n"},
              {"data/.keep": ""}]
    s = make_store(tmp_path, layers)
    img = FakeImage("sha256:" + "f" * 64, image_attrs(s, ["img:1"]))
    fakes(system=FakeMachine().system(), client=store_client({"img": img}, root=str(tmp_path)))
    return s


def test_docker_root_checks_the_driver(store, fakes: Callable[..., Fakes]) -> None:
    assert overlay2_layers.docker_root() == store.root
    fakes(client=store_client({}, driver="vfs"))
    with pytest.raises(LabkitError) as err:
        overlay2_layers.docker_root()
    assert "vfs" in err.value.message and err.value.hint


def test_image_layers_read_layerdb_and_links(store) -> None:
    layers = overlay2_layers.image_layers("img")
    assert [x.role for x in layers] == ["layer 1", "layer 2", "layer 3"]
    assert [x.dir_id for x in layers] == store.cache_ids
    assert layers[0].lower == () and layers[2].lower == (f"l/{store.links[1]}",
                                                         f"l/{store.links[0]}")
    assert layers[1].size == len("root\nredis\n") + len("port 6379\n")
    table = overlay2_layers.layers_frame(layers)
    assert list(table["role"]) == ["layer 3", "layer 2", "layer 1"]
    assert table.iloc[0]["lower file names"] == "layer 2, layer 1"
    assert table.iloc[2]["lower file names"] == "-"


def test_find_in_layers_marks_the_topmost_copy(store) -> None:
    table = image_store.find_in_layers("img", "/etc/passwd")
    assert list(table["/etc/passwd"]) == ["missing", "file", "file"]
    assert list(table["containers see"]) == ["", "<- this one", ""]


def test_shared_layers_count_a_layer_once(store) -> None:
    other = image_attrs(store, ["other:1"])
    other["RootFS"]["Layers"] = store.diff_ids[:2]
    graphdriver.client().images.store["other"] = FakeImage("sha256:" + "e" * 64, other)
    table = overlay2_layers.shared_layers(["img", "other"])
    assert len(table) == 3
    assert list(table["other"]) == ["yes", "yes", ""]
    assert list(table["img"]) == ["yes", "yes", "yes"]
    assert table.iloc[0]["stored in"] == store.cache_ids[0][:12]


def test_image_config_runs_docker_image_inspect(tmp_path: Path, fakes: Callable[..., Fakes],
                                               capsys) -> None:
    s = make_store(tmp_path, [{"a": ""}, {"b": ""}, {"c": ""}])
    cli = CliEngine(FakeClient())
    cli.answers[("docker", "image", "inspect")] = (
        0, json.dumps([image_attrs(s, ["img:1"])]), "")
    fakes(system=cli.system())
    table = graphdriver.image_config("img:1").set_index("field")["value"]
    assert cli.calls[-1][0] == ["docker", "image", "inspect", "img:1"]
    assert capsys.readouterr().out == "$ docker image inspect img:1\n", "the table follows"
    assert table["layers (RootFS.Layers)"] == "3"
    assert table["User"] == "root" and table["Cmd"] == "run"
    cli.answers[("docker", "image", "inspect")] = (1, "[]", "Error: No such image: nope")
    with pytest.raises(LabkitError, match="No such image"):
        graphdriver.image_config("nope")


def container_of(store, upper: Path, name: str = "c") -> FakeContainer:
    """A stopped container of the fake image, its layers in the fake store."""
    c = FakeContainer(name, running=False)
    lowers = [store.layer_diff(n) for n in reversed(range(len(store.cache_ids)))]
    c.attrs.update({"Id": "9" * 64, "Image": "img", "GraphDriver": {
        "Name": "overlay2", "Data": {
            "LowerDir": ":".join(str(p) for p in lowers), "UpperDir": str(upper),
            "MergedDir": str(upper.parent / "merged"),
            "WorkDir": str(upper.parent / "work")}}})
    return c


@pytest.mark.skipif(not IS_ROOT, reason="whiteouts need root")
def test_upper_changes_show_copy_up_and_whiteouts(store, tmp_path: Path) -> None:
    upper = tmp_path / "ctr" / "diff"
    (upper / "etc").mkdir(parents=True)
    (upper / "etc" / "passwd").write_text("root\nredis\nme\n")
    whiteout(upper / "etc" / "redis.conf")
    (upper / "new.txt").write_text("new\n")
    table = graphdriver.upper_changes(container_of(store, upper))
    rows = {r["path"]: r for r in table.to_dict("records")}
    assert rows["/etc/passwd"]["in UpperDir"] == "file"
    assert rows["/etc/passwd"]["same path below"] == "11 bytes"  # layer 2's copy
    assert rows["/etc/redis.conf"]["in UpperDir"] == "whiteout"
    assert rows["/new.txt"]["same path below"] == "-"
    assert "/etc" not in rows


def test_lower_file_stops_at_a_whiteout_below(store, tmp_path: Path) -> None:
    gd = GraphDriver.from_attrs(container_of(store, tmp_path / "u").attrs)
    assert graphdriver.lower_file(gd, "etc/passwd") == store.layer_diff(1) / "etc" / "passwd"
    assert graphdriver.lower_file(gd, "nowhere") is None


def test_overlay_mount_reads_the_containers_line(store, tmp_path: Path) -> None:
    c = container_of(store, tmp_path / "u")
    c.attrs["GraphDriver"]["Data"]["MergedDir"] = "/var/lib/docker/overlay2/abc/merged"
    mnt = graphdriver.overlay_mount(c, MOUNTINFO)
    assert mnt.lowers == ["/var/lib/docker/overlay2/l/AAA", "/var/lib/docker/overlay2/l/BBB"]
    assert mnt.options["upperdir"].endswith("/abc/diff")
    assert mnt.target == "/var/lib/docker/overlay2/abc/merged"
    # The containerd image store reports no MergedDir: the mount is the container's "/".
    c.attrs["GraphDriver"]["Data"]["MergedDir"] = ""
    assert graphdriver.overlay_mount(c, MOUNTINFO).target == "/"
    with pytest.raises(LabkitError) as err:
        graphdriver.overlay_mount(c, NOT_OVERLAY)
    assert "labkit doctor" in err.value.hint


def test_walk_is_sorted_and_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z").write_text("")
    (tmp_path / "a").write_text("")
    (tmp_path / "loop").symlink_to(tmp_path)
    found = [str(p.relative_to(tmp_path)) for p in overlay2_layers.walk(tmp_path)]
    assert found == ["a", "b", "b/z", "loop"]


def add_container_layers(store, container_id: str) -> tuple[str, str]:
    """The -init and container folders Docker makes for a container of the fake image."""
    mount_id = "7" * 64
    db = store.root / "image" / "overlay2" / "layerdb" / "mounts" / container_id
    db.mkdir(parents=True)
    (db / "mount-id").write_text(mount_id)
    (db / "init-id").write_text(mount_id + "-init")
    below = ":".join(f"l/{x}" for x in reversed(store.links))
    for dir_id, link, lower in [(mount_id + "-init", "INIT".ljust(26, "X"), below),
                                (mount_id, "CTR".ljust(26, "X"), f"l/{'INIT'.ljust(26, 'X')}:"
                                 + below)]:
        folder = store.root / "overlay2" / dir_id
        (folder / "diff").mkdir(parents=True)
        (folder / "link").write_text(link)
        (folder / "lower").write_text(lower)
        (store.root / "overlay2" / "l" / link).symlink_to(f"../{dir_id}/diff")
    init = store.root / "overlay2" / (mount_id + "-init") / "diff"
    (init / "etc").mkdir()
    (init / "etc" / "hosts").write_text("")
    (init / "dev" / "pts").mkdir(parents=True)
    (init / "etc" / "mtab").symlink_to("/proc/mounts")
    return mount_id, mount_id + "-init"


def test_container_stack_init_layer_and_short_names(store, tmp_path: Path) -> None:
    c = container_of(store, tmp_path / "u")
    mount_id, init_id = add_container_layers(store, c.id)
    stack = overlay2_layers.container_layers(c)
    assert [x.role for x in stack] == ["layer 1", "layer 2", "layer 3", "init", "container"]
    assert stack[-1].dir_id == mount_id and stack[-2].dir_id == init_id
    files = image_store.init_files(c).set_index("path")["kind"].to_dict()
    assert files == {"/dev/pts": "dir", "/etc/hosts": "file",
                     "/etc/mtab": "symlink -> /proc/mounts"}
    names = overlay2_layers.short_names(c)
    assert list(names["role"]) == ["init", "layer 3", "layer 2", "layer 1"]
    assert names.iloc[0]["symlink target"] == "../" + "7" * 12 + "-init/diff"


def test_a_running_containers_mount_is_read_through_the_host(
        store, tmp_path: Path, fakes: Callable[..., Fakes]) -> None:
    c = container_of(store, tmp_path / "u")
    with pytest.raises(LabkitError, match="not running, so nothing is mounted"):
        graphdriver.overlay_mount(c)
    c.attrs["State"].update(Running=True, Status="running", Pid=4242)
    fakes(host=FakeHost(files={"/proc/4242/mountinfo": MOUNTINFO}))
    assert graphdriver.overlay_mount(c).lowers[0] == "/var/lib/docker/overlay2/l/AAA"
    # The containerd image store reports no folders: they come from the mount, the merged view
    # from the process's root.
    c.attrs["GraphDriver"]["Data"] = {}
    gd = graphdriver.of_container(c)
    assert gd.upper_dir.endswith("/abc/diff") and gd.merged_dir == "/proc/4242/root"
    assert gd.source == "mountinfo" and "its mountinfo" in gd.read_from()
    # Engine 29 on the containerd store: only Storage names the snapshotter
    del c.attrs["GraphDriver"]
    c.attrs["Storage"] = {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}
    gd = graphdriver.of_container(c)
    assert gd.upper_dir.endswith("/abc/diff") and gd.name == "overlayfs"
    assert gd.name_field == "Storage.RootFS.Snapshot.Name"


def test_option_budget_caps_at_overlay2s_max_depth(store, tmp_path: Path,
                                                  fakes: Callable[..., Fakes]) -> None:
    c = container_of(store, tmp_path / "u")
    c.attrs["State"].update(Running=True, Status="running", Pid=4242)
    fakes(host=FakeHost(files={"/proc/4242/mountinfo": MOUNTINFO}))
    frame = graphdriver.option_budget(c)
    assert list(frame.columns) == ["one lowerdir entry", "bytes", "layers in a page",
                                   "overlay2 allows"]
    assert all(a == min(n, graphdriver.MAX_DEPTH)
               for n, a in zip(frame["layers in a page"], frame["overlay2 allows"], strict=True))
    assert graphdriver.MAX_DEPTH == 128


def test_exec_as_root_runs_the_docker_exec_it_prints(capsys,
                                                     fakes: Callable[..., Fakes]) -> None:
    cli = CliEngine(FakeClient())
    cli.answers[("docker", "exec")] = (0, "done\n", "")
    cli.answers[("docker", "exec", "-u", "root", "box", "rm", "/nothing")] = (
        1, "", "rm: no such file\n")
    cli.answers[("docker", "diff")] = (0, "D /etc/issue\nA /a\nC /etc\n", "")
    fakes(system=cli.system())
    box = FakeContainer("box")
    graphdriver.exec_as_root(box, ["rm", "/etc/issue"])
    assert capsys.readouterr().out.splitlines() == ["$ docker exec -u root box rm /etc/issue",
                                                    "done"]
    with pytest.raises(LabkitError, match="failed in box"):
        graphdriver.exec_as_root(box, ["rm", "/nothing"])
    assert graphdriver.docker_diff(box).stdout == "D /etc/issue\nA /a\nC /etc\n"
    assert [c[0] for c in cli.calls] == [
        ["docker", "exec", "-u", "root", "box", "rm", "/etc/issue"],
        ["docker", "exec", "-u", "root", "box", "rm", "/nothing"], ["docker", "diff", "box"]]
    assert capsys.readouterr().out.splitlines()[-5:] == [
        "$ docker diff box", "(its lines, sorted by path: the engine lists them in no fixed order)",
        "A /a", "C /etc", "D /etc/issue"]


def test_the_image_id_is_the_digest_of_dockers_copy_of_the_config(
        store, tmp_path: Path, fakes: Callable[..., Fakes]) -> None:
    config = b'{"architecture":"amd64","os":"linux"}'
    image_id = "sha256:" + hashlib.sha256(config).hexdigest()
    content = tmp_path / "image" / "overlay2" / "imagedb" / "content" / "sha256"
    content.mkdir(parents=True)
    (content / image_id.split(":")[1]).write_bytes(config)
    attrs = image_attrs(store, ["cfg:1"])
    fakes(system=FakeMachine().system(),
          client=store_client({"cfg": FakeImage(image_id, attrs)}, root=str(tmp_path)))
    frame = overlay2_layers.config_digest("cfg")
    assert list(frame["= image ID?"]) == ["yes", "yes"]
    (content / image_id.split(":")[1]).write_bytes(config + b" ")
    assert list(overlay2_layers.config_digest("cfg")["= image ID?"]) == ["yes", "no"]
    (content / image_id.split(":")[1]).unlink()
    with pytest.raises(LabkitError, match="is not at"):
        overlay2_layers.config_digest("cfg")
