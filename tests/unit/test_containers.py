"""labkit.base.containers over SDK Container models: lookup, state, PID, labels, networks, ports."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from labkit.base import containers
from labkit.base.errors import LabkitError

from .fakes.client import FakeClient, FakeContainer
from .fakes.seam import Fakes

WEB = FakeContainer(
    "web", pid=4242, labels={"io.labkit.course": "docker-internals"}, mode="container:id-db",
    networks={"bridge": {"IPAddress": "172.17.0.2", "IPPrefixLen": 16, "Gateway": "172.17.0.1",
                         "MacAddress": "02:42:ac:11:00:02"},
              "ex-net": {"IPAddress": "10.213.0.2", "IPPrefixLen": 24, "Gateway": "10.213.0.1",
                         "MacAddress": "02:42:0a:d5:00:02"}},
    ports={"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"},
                      {"HostIp": "::1", "HostPort": "18080"}],
           "443/tcp": None})


def test_get_by_name_or_object(fakes: Callable[..., Fakes]) -> None:
    fakes(client=FakeClient(containers=[WEB]))
    assert containers.get("web") is WEB and containers.get("id-web") is WEB
    box = FakeContainer("box")
    assert containers.get(box) is box and box.reloads == 1  # an object is reloaded


def test_a_missing_container_is_a_clear_error(fakes: Callable[..., Fakes]) -> None:
    fakes(client=FakeClient())
    with pytest.raises(containers.NoSuchContainer, match="no container called nope") as info:
        containers.get("nope")
    assert "docker ps -a" in info.value.hint and isinstance(info.value, LabkitError)
    assert containers.find("nope") is None


def test_state_and_pid_are_read_fresh() -> None:
    box = FakeContainer("box", pid=77)
    assert containers.state(box) == containers.State("running", True, 77, 0)
    assert containers.pid(box) == 77 and box.reloads == 2
    stopped = FakeContainer("old", running=False, exit_code=137)
    assert containers.state(stopped) == containers.State("exited", False, 0, 137)
    with pytest.raises(containers.NotRunning, match="old is not running") as info:
        containers.pid(stopped)
    assert "docker start old" in info.value.hint


def test_labels_of_containers_networks_and_volumes() -> None:
    assert containers.labels(WEB) == {"io.labkit.course": "docker-internals"}
    net = SimpleNamespace(attrs={"Labels": {"io.labkit.session": "s1"}})
    assert containers.labels(net) == {"io.labkit.session": "s1"}
    assert containers.labels(SimpleNamespace(attrs={"Labels": None})) == {}
    sparse = FakeContainer("s")
    sparse.attrs = {"Id": "id-s", "Labels": {"io.labkit.session": "s2"}}  # `docker ps` answer
    assert containers.labels(sparse) == {"io.labkit.session": "s2"}


def test_endpoints_and_network_mode(fakes: Callable[..., Fakes]) -> None:
    nets = containers.endpoints(WEB)
    assert list(nets) == ["bridge", "ex-net"]
    assert nets["bridge"] == containers.Endpoint("bridge", "172.17.0.2", 16, "172.17.0.1",
                                                 "02:42:ac:11:00:02")
    assert nets["ex-net"].cidr == "10.213.0.2/24"
    host_mode = FakeContainer("h", mode="host", networks={"host": {"IPAddress": "",
                                                                   "IPPrefixLen": 0}})
    assert containers.endpoints(host_mode)["host"].address == ""
    assert containers.network_mode(WEB) == "container:id-db"
    fakes(client=FakeClient(containers=[host_mode]))
    assert containers.network_mode("h") == "host"  # a name is looked up


def test_published_ports() -> None:
    assert containers.published(WEB) == [
        containers.Binding("80/tcp", "127.0.0.1", 18080),
        containers.Binding("80/tcp", "::1", 18080)]
    assert containers.published(WEB, "443/tcp") == []  # exposed, not published
    assert containers.published(FakeContainer("bare")) == []
