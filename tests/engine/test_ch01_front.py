"""Chapter 01 on the real engine: the front-end image, its pages, and its history."""

from __future__ import annotations

import pytest

from labkit.base.facts import facts
from labkit.building import buildhistory, frontapp, views
from labkit.lab.session import Lab

pytestmark = pytest.mark.engine


def test_front_app_serves_pages_assets_and_deep_links(lab: Lab) -> None:
    folder = frontapp.copy_sample(lab)
    build = lab.build(folder, "front-app:v1")
    assert "Step 1/4 : FROM labkit/nginx:1.22.1" in build.log.lines
    assert build.log.lines[-1].startswith("Successfully tagged front-app:v1")
    web = lab.run(build.tag, flags=["-p", "127.0.0.1::80"])
    port = frontapp.host_port(web)
    frontapp.wait_until_serving(port)
    frame = views.fetch_table(port, ["/", "/assets/app.css", "/assets/app.js", "/orders/42",
                                       "/assets/missing.css"]).set_index("path")
    assert set(frame["status"]) == {200}
    assert frame.loc["/assets/app.css", "content_type"] == "text/css"
    assert frame.loc["/assets/app.js", "content_type"] == "application/javascript"
    assert frame.loc["/orders/42", "same body as index.html"]
    assert frame.loc["/orders/42", "title"] == "Front App"
    # try_files also answers a missing asset with the app: what exercise 01.1 fixes.
    assert frame.loc["/assets/missing.css", "same body as index.html"]
    # The port is published on 127.0.0.1 only.
    bindings = web.attrs["NetworkSettings"]["Ports"]["80/tcp"]
    assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}


def test_history_sets_the_base_apart_and_finds_the_two_layers(lab: Lab) -> None:
    build = lab.build(frontapp.copy_sample(lab), "front-app:v1")
    hist = buildhistory.history(build.tag, "labkit/nginx:1.22.1")
    frame = hist.to_frame()
    # newest first, as `docker history` lists them
    assert [i.split(" ", 1)[0] for i in frame["instruction"]] == ["CMD", "COPY", "COPY"]
    assert list(frame["new layer"]) == [False, True, True]
    assert hist.own_layers == 2
    assert hist.base_layers == buildhistory.layer_count("labkit/nginx:1.22.1")
    copied = (frontapp.copy_sample(lab, "again") / "nginx.conf").stat().st_size
    if facts().containerd_store:  # the snapshot's disk usage, whole blocks
        assert frame["bytes"][1] >= copied and frame["bytes"][1] % 4096 == 0
        assert "snapshot" in hist.summary()
    else:
        assert frame["bytes"][1] == copied


def test_a_step_that_changes_no_file_adds_no_layer(lab: Lab) -> None:
    folder = lab.workdir("empty-run")
    (folder / "Dockerfile").write_text("FROM labkit/busybox\nRUN true\nRUN touch /made\n")
    build = lab.build(folder, "history-test:v1")
    hist = buildhistory.history(build.tag, "labkit/busybox")
    assert list(hist.to_frame()["new layer"]) == [True, False]  # newest first
    assert hist.own_layers == 1
