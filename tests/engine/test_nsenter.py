"""labkit.namespaces.nsenter against the real engine: nsenter and ip netns, shown and checked."""

from __future__ import annotations

import os

import pytest

from labkit.base.host import host
from labkit.base.show import docker
from labkit.lab.session import Lab
from labkit.namespaces import nsenter, views
from labkit.namespaces import procns as namespaces

pytestmark = pytest.mark.engine


def test_nsenter_sees_the_address_docker_reports(lab: Lab,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-nsenter")
    capsys.readouterr()
    pid = nsenter.inspect_pid(box)
    assert pid == namespaces.container_pid(box)
    assert capsys.readouterr().out == (
        f"$ docker inspect -f '{{{{.State.Pid}}}}' {box.name}\n{pid}\n")
    # 04's cells 12 and 13: nsenter's `ip addr` holds the address docker inspect reports
    ips = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    inspected = docker(["inspect", "-f", ips, box.name]).stdout.strip()
    entered = host().run(["nsenter", "-t", str(pid), "-n", "ip", "addr"]).stdout
    assert inspected and f"inet {inspected}/" in entered
    assert not nsenter.same_netns_as_here(pid)


def test_the_hosts_namespace_is_this_notebooks(capsys: pytest.CaptureFixture[str]) -> None:
    pid = namespaces.host_process().pid
    table = views.host_view(pid)
    assert capsys.readouterr().out == f"$ nsenter -t {pid} -n ip -j addr\n$ ip -j addr\n"
    assert table.loc["lo", "answer"] == "127.0.0.1/8"
    assert table.loc["same net namespace as this notebook", "answer"] is True
    assert nsenter.same_netns_as_here(os.getpid())


def test_ip_netns_add_list_exec_delete(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    ns = lab.netns("t-nstest", show=True)
    nsenter.netns_list([ns])
    assert capsys.readouterr().out.splitlines() == [
        f"$ ip netns add {ns}", "$ ip netns list", ns, "(only this lesson's namespaces are shown)"]
    inside = host().run(["ip", "netns", "exec", ns, "ip", "-o", "link"]).stdout
    assert inside.count("\n") == 1 and "lo:" in inside
    host().run(["ip", "netns", "delete", ns])
    gone = host().run(["ip", "netns", "exec", ns, "true"], check=False)
    assert not gone.ok and "No such file or directory" in gone.stderr


def test_docker_exec_runs_what_it_shows(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    box = lab.run("labkit/busybox", ["sleep", "300"], name="t-exec", flags=["--network", "none"])
    capsys.readouterr()
    docker(["exec", box.name, "ip", "-o", "link"])
    out = capsys.readouterr().out
    assert out.startswith(f"$ docker exec {box.name} ip -o link\n")
    assert "lo:" in out and "eth0" not in out
