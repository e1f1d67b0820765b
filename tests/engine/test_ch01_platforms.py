"""Chapter 01 on the real engine: two platforms, a manifest list, pulls by platform."""

from __future__ import annotations

import shutil

import pytest

from labkit.base.engine import client
from labkit.base.facts import facts
from labkit.base.host import host
from labkit.building import platforms, views
from labkit.lab.session import Lab
from labkit.lessons import registry

pytestmark = [pytest.mark.engine,
              pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")]


def test_manifest_list_in_the_lesson_registry(lab: Lab) -> None:
    reg = registry.start_registry(lab)
    here, other = platforms.architectures()
    variants = [platforms.build_variant(lab, reg, arch, name="plat-test")
                for arch in (here, other)]
    frame = views.variants_frame(variants)
    assert list(frame["config says"]) == [f"linux/{here}", f"linux/{other}"]
    assert list(frame["busybox compiled for"]) == [here, other]

    assert platforms.try_run(lab, variants[0].ref) in {"x86_64", "aarch64"}
    assert "exec format error" in platforms.try_run(lab, variants[1].ref)

    pushed = {v.ref: platforms.push(v.ref) for v in variants}
    assert all(d.startswith("sha256:") for d in pushed.values())
    config = lab.workdir("docker-config")
    multi = reg.ref("plat-test:multi")
    host().run(platforms.manifest_argv(config, "create", "--insecure", "--amend", multi,
                                       *pushed))
    host().run(platforms.manifest_argv(config, "push", "--insecure", "--purge", multi))
    # --purge leaves no local manifest list behind in the CLI's config folder.
    assert not any(p.is_file() for p in config.rglob("*"))

    doc = platforms.inspect_manifest(config, multi)
    assert sorted(platforms.platforms_of(doc)) == sorted([f"linux/{here}", f"linux/{other}"])
    table = views.manifest_frame(doc, variants, pushed)
    assert set(table["pushed as"]) == set(pushed)

    pulls = [platforms.pull(lab, multi), platforms.pull(lab, multi, f"linux/{other}")]
    if facts().containerd_store:  # one image, the index, holds both platforms
        assert pulls[0]["image ID"] == pulls[1]["image ID"] == pulls[0]["list digest"]
        assert set(views.pulls_frame(pulls, variants)["same image as"]) == {
            "the list itself: one image, every platform pulled"}
        return
    assert [p["got"] for p in pulls] == [f"linux/{here}", f"linux/{other}"]
    assert list(views.pulls_frame(pulls, variants)["same image as"]) == [
        v.ref for v in variants]


def test_cleanup_removes_the_registry_and_the_pulled_name() -> None:
    lab = Lab("99")
    reg = registry.start_registry(lab)
    variant = platforms.build_variant(lab, reg, platforms.architectures()[0], name="plat-clean")
    platforms.push(variant.ref)
    pulled = reg.ref("plat-clean:copy")
    client().images.get(variant.ref).tag(pulled.rsplit(":", 1)[0], "copy")
    platforms.push(pulled)
    client().images.remove(pulled)
    platforms.pull(lab, pulled)
    lab.cleanup()
    names = {t for i in client().images.list() for t in i.tags}
    assert variant.ref not in names and pulled not in names
    assert not client().containers.list(all=True, filters={"name": reg.container})
