"""labkit.base.fmt: sizes and short digests as the notebooks show them."""

from __future__ import annotations

import pytest

from labkit.base.fmt import human_size, short_digest

DIGEST = "sha256:8be67d12c2e8" + "0" * 52


@pytest.mark.parametrize("size,text", [(0, "0 B"), (999, "999 B"), (4300, "4 kB"),
                                       (999_999, "1000 kB"), (117_400_000, "117 MB")])
def test_whole_sizes_are_stable_from_run_to_run(size: int, text: str) -> None:
    assert human_size(size) == text
    assert human_size(size, "whole") == text


@pytest.mark.parametrize("size,text", [(0, "under 1 kB"), (151, "under 1 kB"), (4108, "4 kB"),
                                       (49_584_583, "50 MB")])
def test_coarse_sizes_hide_the_last_bytes(size: int, text: str) -> None:
    assert human_size(size, "coarse") == text


@pytest.mark.parametrize("size,text", [(0, "0B"), (177, "177B"), (1329, "1.33kB"),
                                       (4330, "4.33kB"), (17_100_000, "17.1MB"),
                                       (117_000_000, "117MB"), (2_500_000_000, "2.5GB")])
def test_docker_sizes_read_like_docker_history(size: int, text: str) -> None:
    assert human_size(size, "docker") == text


def test_short_digest_drops_the_algorithm() -> None:
    assert short_digest(DIGEST) == "8be67d12c2e8"
    assert short_digest(DIGEST, 64) == DIGEST.removeprefix("sha256:")
    assert short_digest("0debcefed6381234") == "0debcefed638"  # a bare ID
    assert short_digest("") == ""


def test_short_digest_can_keep_the_algorithm_and_mark_the_cut() -> None:
    assert short_digest(DIGEST, algorithm=True) == "sha256:8be67d12c2e8…"
    assert short_digest("", algorithm=True) == ""
