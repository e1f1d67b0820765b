"""links: the /etc/hosts line a link writes, and the link variables engines before 29 inject."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labkit.base.errors import LabkitError
from labkit.networking import links, views

from .fakes.cli_engine import CliEngine
from .fakes.client import FakeClient, FakeContainer
from .fakes.seam import Fakes

# -- --link: the hosts line follows a restart, the variables do not -------------------------
HOSTS = "127.0.0.1\tlocalhost\n172.17.0.6\tweb 1da31293ab6d link-web\n"
ENV = ("PATH=/usr/bin\nHOSTNAME=abc\nWEB_PORT=tcp://172.17.0.6:80\n"
       "WEB_PORT_80_TCP_ADDR=172.17.0.6\nWEB_PORT_80_TCP_PORT=80\nWEB_NAME=/link-client/web\n"
       "WEB_ENV_NGINX_VERSION=1.22.1\nWEBSITE=not-a-link\n")


def _view(hosts: str, pid1: str, exec_env: str) -> links.LinkView:
    return links.parse_link(hosts, pid1.replace("\n", "\0").encode(), exec_env, "web")


def test_parse_link_reads_the_alias_line_and_its_variables() -> None:
    view = _view(HOSTS, ENV, ENV)
    assert view.hosts == "172.17.0.6\tweb 1da31293ab6d link-web"
    assert view.hosts_address == "172.17.0.6"
    assert list(view.env) == ["WEB_ENV_NGINX_VERSION", "WEB_NAME", "WEB_PORT",
                              "WEB_PORT_80_TCP_ADDR", "WEB_PORT_80_TCP_PORT"]
    assert view.exec_env == view.env
    assert _view("127.0.0.1\tlocalhost\n", "", "").hosts_address == ""


def test_a_link_change_is_explained_or_refused(capsys: pytest.CaptureFixture[str]) -> None:
    before = _view(HOSTS, ENV, ENV)
    moved_env = ENV.replace("172.17.0.6", "172.17.0.8")
    after = _view(HOSTS.replace("172.17.0.6", "172.17.0.8"), ENV, moved_env)
    views.explain_link_change(before, after, "172.17.0.8")
    out = capsys.readouterr().out
    assert "now says 172.17.0.8" in out and "still say 172.17.0.6" in out
    assert "gets the new value, 172.17.0.8" in out
    with pytest.raises(LabkitError, match="still says 172.17.0.6"):
        views.explain_link_change(before, before, "172.17.0.8")
    with pytest.raises(LabkitError, match="old address"):
        views.explain_link_change(before, before, "172.17.0.6")
    moved = _view(HOSTS.replace("172.17.0.6", "172.17.0.8"), moved_env, moved_env)
    with pytest.raises(LabkitError, match="set once"):
        views.explain_link_change(before, moved, "172.17.0.8")


def test_no_variables_are_explained_from_the_version_on_29_and_refused_before(
        capsys: pytest.CaptureFixture[str]) -> None:
    bare = _view(HOSTS, "PATH=/usr/bin\nHOSTNAME=abc\n", "PATH=/usr/bin\n")
    assert bare.env == {} and bare.address_variable == ""
    views.explain_variables(bare, 29, 7)
    out = capsys.readouterr().out
    assert "Docker 29.7 injected none" in out and "moby#50719" in out
    assert links.KEEP_VARIABLE + "=1" in out
    with pytest.raises(LabkitError, match="before 29.0 always do"):
        views.explain_variables(bare, 28, 5)
    views.explain_variables(_view(HOSTS, ENV, ENV), 28, 5)
    assert "injected 5 link variables, as every engine before 29.0" in capsys.readouterr().out
    views.explain_variables(_view(HOSTS, ENV, ENV), 29, 7)
    assert links.KEEP_VARIABLE + "=1 in its environment" in capsys.readouterr().out


def test_a_link_change_without_variables_speaks_of_the_name_only(
        capsys: pytest.CaptureFixture[str]) -> None:
    bare = _view(HOSTS, "PATH=/usr/bin\n", "PATH=/usr/bin\n")
    after = _view(HOSTS.replace("172.17.0.6", "172.17.0.8"), "PATH=/usr/bin\n", "")
    views.explain_link_change(bare, after, "172.17.0.8")
    out = capsys.readouterr().out
    assert "now says 172.17.0.8" in out and "no link variables" in out and "?" not in out


def test_link_view_runs_the_two_commands_it_prints(
        fakes: Callable[..., Fakes], capsys: pytest.CaptureFixture[str]) -> None:
    client = FakeContainer("link-client", running=True, exec_answer=(0, ENV.encode()))
    cli = CliEngine(FakeClient(containers=[client]))
    fakes(client=cli.client, system=cli.system())
    cli.answers[("docker", "exec", "link-client", "strings")] = (0, ENV, "")
    cli.answers[("docker", "exec", "link-client", "grep")] = (0, HOSTS.splitlines()[1] + "\n",
                                                              "")
    view = links.link_view("link-client", "web")
    assert [argv for argv, _ in cli.calls] == [
        ["docker", "exec", "link-client", "strings", "-n", "1", "/proc/1/environ"],
        ["docker", "exec", "link-client", "grep", "-w", "web", "/etc/hosts"]]
    assert capsys.readouterr().out == (
        "$ docker exec link-client strings -n 1 /proc/1/environ\n" + ENV
        + "$ docker exec link-client grep -w web /etc/hosts\n" + HOSTS.splitlines()[1] + "\n")
    assert view.hosts_address == "172.17.0.6" and view.address_variable == "172.17.0.6"
    # Docker 29: no variables, and (say) no line: both are said, not left blank
    cli.answers[("docker", "exec", "link-client", "strings")] = (0, "PATH=/usr/bin\n", "")
    cli.answers[("docker", "exec", "link-client", "grep")] = (1, "", "")
    view = links.link_view("link-client", "web")
    out = capsys.readouterr().out
    assert view.env == {} and "(no WEB_PORT_..., WEB_ENV_... or WEB_NAME" in out
    assert "(no line for web in /etc/hosts)" in out
