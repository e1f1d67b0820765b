"""The nbval sanitize rules fold what varies and keep what teaches."""

from __future__ import annotations

import re
from pathlib import Path

from nbval.plugin import get_sanitize_patterns

RULES = get_sanitize_patterns((Path(__file__).resolve().parents[2] / "tests" /
                               "sanitize.cfg").read_text())


def sanitize(text: str) -> str:
    for regex, replace in RULES:
        text = re.sub(regex, replace, text)
    return text


def test_digest_is_folded_before_short_ids() -> None:
    digest = "sha256:" + "ab" * 32
    assert sanitize(digest) == "sha256:<digest>"
    assert sanitize("Successfully built 5fa103e1f86a") == "Successfully built <id12>"


def test_session_suffix_disappears() -> None:
    assert sanitize("web-s1a2b3c on net0-s1a2b3c") == sanitize("web on net0")


def test_container_host_part_is_folded_but_not_the_network() -> None:
    assert sanitize("172.17.0.5/16") == "172.17.0.<n>/16"
    assert sanitize("203.0.113.1") == "203.0.113.1"


def test_runs_of_spaces_compare_equal() -> None:
    assert sanitize("a    b  c") == sanitize("a b c")
    assert sanitize("a\nb") == "a\nb"


def test_ipv6_link_local_addresses_are_folded_whole() -> None:
    a = "inet6 fe80::dc4e:73ff:fe93:f471/64 scope link"
    b = "inet6 fe80::fc6c:c6ff:fe20:2e5f/64 scope link"
    assert sanitize(a) == sanitize(b) == "inet6 fe80::<ll>/64 scope link"
