from __future__ import annotations

from typing import Any

import pytest

from labkit import images
from labkit.errors import UnknownImage


@pytest.mark.parametrize("typed,name", [("redis", "redis:7.0"), ("redis:latest", "redis:7.0"),
                                        ("nginx", "nginx:1.22.1"), ("busybox:latest", "busybox"),
                                        ("debian:12", "debian:bookworm")])
def test_names_learners_type_map_to_recipes(typed: str, name: str) -> None:
    assert images.recipe_for(typed).name == name


def test_unknown_names_say_what_exists() -> None:
    with pytest.raises(UnknownImage) as info:
        images.recipe_for("ngnix:1.22.1")
    assert "nginx:1.22.1" in info.value.hint and "ngnix" in info.value.message


def test_every_delta_recipe_builds_on_a_known_base() -> None:
    for recipe in images.RECIPES.values():
        if recipe.kind == "delta":
            assert recipe.base in images.RECIPES and recipe.packages


def test_nginx_is_debian_bookworms_1_22_1() -> None:
    recipe = images.recipe_for("nginx:1.22.1")
    assert recipe.packages == ("nginx",) and recipe.base == "debian:bookworm"


def test_fingerprint_is_stable_and_tracks_the_recipe() -> None:
    r = images.recipe_for("redis")
    assert r.fingerprint() == r.fingerprint()
    assert r.fingerprint() != images.recipe_for("nginx").fingerprint()


class Ledger:
    def __init__(self) -> None:
        self.pulled: list[str] = []
        self.built: list[str] = []


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    seen = Ledger()
    monkeypatch.setattr(images, "status", lambda name: None)
    monkeypatch.setattr(images, "_pull", lambda recipe, progress: seen.pulled.append(
        recipe.name) or False)
    monkeypatch.setattr(images, "_build", lambda recipe, progress: (
        seen.built.append(recipe.name) or ("sha256:x", "built")))
    monkeypatch.setattr(images, "prepare_assets", lambda progress: None)
    return seen


def test_offline_mode_never_pulls(monkeypatch: pytest.MonkeyPatch, world: Ledger) -> None:
    monkeypatch.setenv("LABKIT_OFFLINE", "1")
    result = images.ensure(["nginx"], progress=lambda m: None)
    assert world.pulled == []
    assert world.built == ["debian:bookworm", "nginx:1.22.1"]  # the base first
    assert [r.state for r in result] == ["built"]


def test_online_mode_tries_a_pull_first(monkeypatch: pytest.MonkeyPatch, world: Ledger) -> None:
    monkeypatch.setenv("LABKIT_OFFLINE", "0")
    images.ensure(["busybox"], progress=lambda m: None)
    assert world.pulled == ["busybox"] and world.built == ["busybox"]


def test_present_images_cost_nothing(monkeypatch: pytest.MonkeyPatch, world: Ledger) -> None:
    present = images.ImageStatus("redis:7.0", "present", True, "here", 0.0)
    monkeypatch.setattr(images, "status", lambda name: present)
    assert images.ensure(["redis"], progress=lambda m: None) == [present]
    assert world.pulled == [] and world.built == []


def test_table_says_how_to_fix_a_missing_image(monkeypatch: pytest.MonkeyPatch,
                                               world: Any) -> None:
    frame = images.table(["busybox"])
    assert frame.loc[0, "present"] is False or not frame.loc[0, "present"]
    assert "labkit images" in frame.loc[0, "from"]


@pytest.mark.parametrize("debian,upstream", [("5:7.0.15-1~deb12u7", "7.0.15"),
                                             ("1.22.1-9+deb12u9", "1.22.1"),
                                             ("1:1.35.0-4+deb12u1+b1", "1.35.0"),
                                             ("12.4+deb12u15", "12.4+deb12u15")])
def test_upstream_version(debian: str, upstream: str) -> None:
    assert images.upstream_version(debian) == upstream
