"""labkit.base.refs: image references taken apart as the Docker SDK does, and put back."""

from __future__ import annotations

import pytest

from labkit.base.refs import Ref

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize("text,registry,repository,tag,digest", [
    ("127.0.0.1:5000/app:v1", "127.0.0.1:5000", "app", "v1", None),
    ("127.0.0.1:5000/app", "127.0.0.1:5000", "app", None, None),
    ("labkit/nginx:1.22.1", "", "labkit/nginx", "1.22.1", None),
    ("labkit/busybox", "", "labkit/busybox", None, None),
    ("busybox", "", "busybox", None, None),
    (f"busybox@{DIGEST}", "", "busybox", None, DIGEST),
    (f"127.0.0.1:5000/tinybox:multi@{DIGEST}", "127.0.0.1:5000", "tinybox", "multi", DIGEST),
    ("localhost/lab/app:v2", "localhost", "lab/app", "v2", None),
    ("docker.io/library/redis:7", "docker.io", "library/redis", "7", None),
])
def test_parse_and_give_back(text: str, registry: str, repository: str, tag: str | None,
                             digest: str | None) -> None:
    ref = Ref.parse(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (registry, repository, tag,
                                                                   digest)
    assert str(ref) == text


def test_the_port_colon_is_not_a_tag() -> None:
    ref = Ref.parse("127.0.0.1:5000/app")
    assert ref.name == "127.0.0.1:5000/app"
    assert ref.tag is None


def test_name_is_what_the_sdk_takes_as_repository() -> None:
    assert Ref.parse("127.0.0.1:5000/lab/app:v1").name == "127.0.0.1:5000/lab/app"
    assert Ref.parse("labkit/nginx:1.22.1").name == "labkit/nginx"


def test_or_latest_adds_a_tag_only_when_none_is_named() -> None:
    assert str(Ref.parse("127.0.0.1:5000/app").or_latest()) == "127.0.0.1:5000/app:latest"
    assert str(Ref.parse("labkit/redis:7.0").or_latest()) == "labkit/redis:7.0"
    assert str(Ref.parse(f"busybox@{DIGEST}").or_latest()) == f"busybox@{DIGEST}"


def test_with_tag_and_without_registry() -> None:
    ref = Ref.parse("127.0.0.1:5000/app:v1")
    assert str(ref.with_tag("v2")) == "127.0.0.1:5000/app:v2"
    assert str(ref.without_registry()) == "app:v1"
    assert ref.tag == "v1"  # frozen: the original is unchanged


def test_a_ref_is_frozen() -> None:
    ref = Ref.parse("app:v1")
    with pytest.raises(AttributeError):
        ref.tag = "v2"  # type: ignore[misc]
