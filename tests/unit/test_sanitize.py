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


def test_containerd_snapshot_numbers_fold_wherever_a_table_shows_them() -> None:
    """The counter grows with every snapshot the engine makes: a rerun shows other numbers,
    with other digit counts and so other column widths."""
    first = ("   role diff_id snapshot             folder\n"
             "0  container       -     4004  snapshots/4004/fs\n"
             "1  layer 1  e58b4a13d2f5    32    snapshots/32/fs\n")
    again = ("   role diff_id snapshot           folder\n"
             "0  container       -     415  snapshots/415/fs\n"
             "1  layer 1  e58b4a13d2f5    7    snapshots/7/fs\n")
    assert sanitize(first) == sanitize(again)
    assert sanitize("0  LowerDir 1 of 5    4003/fs\n5  WorkDir  4004/work") == (
        "0 LowerDir 1 of 5 <n>/fs\n5 WorkDir <n>/work")
    assert sanitize("0   4003/fs   90  init\n1  90/fs  88  layer 3\n") == (
        "0 <n>/fs <bytes> init\n1 <n>/fs <bytes> layer 3\n")
    assert sanitize("$ ls snapshots\n1043\n12\n4004\n") == "$ ls snapshots\n<snapshot folders>\n"
    assert sanitize("ls .../snapshots/86\nfs\nwork\n") == "ls .../snapshots/<n>\nfs\nwork\n"


def test_snapshot_numbers_fold_in_a_table_s_html_too() -> None:
    html = ("<td>init</td>\n      <td>-</td>\n      <td>{n}</td>\n      "
            "<td>snapshots/{n}/fs</td>\n      <td>{n}/fs</td>\n      <td>{b}</td>")
    assert sanitize(html.format(n=4003, b=90)) == sanitize(html.format(n=5623, b=90))
    assert sanitize(html.format(n=7, b=88)) == sanitize(html.format(n=5623, b=90))
    assert "<td>init</td>" in sanitize(html.format(n=7, b=88))


def test_a_digest_cut_by_a_table_is_folded_too() -> None:
    cut = "[1/3] FROM docker.io/labkit/nginx:1.22.1@sha256:{}..."
    assert sanitize(cut.format("5f668d05f5d25e2b2d54b44da09e")) == sanitize(
        cut.format("bdc9684594d9a0e6b600a4bad524"))
    assert sanitize(cut.format("5f66")).endswith("@sha256:<digest>...")


def test_whether_a_cleanup_unmounted_run_netns_is_folded() -> None:
    assert sanitize("'removed 1 container, 1 mount, 1 netns'") == sanitize(
        "'removed 1 container, 1 netns'")
    assert sanitize("removed 1 container, 1 dir, 4 mounts, 2 netns") == sanitize(
        "removed 1 container, 1 dir, 3 mounts, 2 netns")
    ledger = ("[{'kind': 'mount', 'target': '/run/netns', 'only_if_empty': True},\n"
              " {'kind': 'netns', 'name': 'preflight'}]")
    assert sanitize(ledger) == sanitize("[{'kind': 'netns', 'name': 'preflight'}]")
    assert "1 netns" in sanitize("removed 1 container, 1 mount, 1 netns")


def test_the_workdir_whiteout_name_is_folded_but_not_its_kind() -> None:
    line = "c--------- 2 root root 0, 0  #43b15"
    assert sanitize(line) == sanitize("c--------- 2 root root 0, 0  #7")
    assert sanitize(line).endswith("0, 0 #<n>")
    assert sanitize("-rw-r--r-- 1 root root 15  #notes") == "-rw-r--r-- 1 root root 15 #notes"


def test_the_random_size_of_the_copy_up_exercise_is_folded_but_not_other_sizes() -> None:
    for a, b in (("-rw-r--r-- 1 root root 482913  lower/data.bin",
                  "-rw-r--r-- 1 root root 100245  lower/data.bin"),
                 ("482913 /var/lib/labkit/lessons/s1a2b3c/cu/upper/data.bin",
                  "900001 /var/lib/labkit/lessons/s1a2b3c/cu/upper/data.bin"),
                 ("copied up: 482,913 bytes of upper/data.bin", "copied up: 100,245 bytes of "
                  "upper/data.bin")):
        assert sanitize(a) == sanitize(b) and "<size>" in sanitize(a)
    assert "1048576" in sanitize("-rw-r--r-- 1 root root 1048576  merged/big.log")


def test_a_folded_command_compares_equal_wherever_it_folds() -> None:
    one = ("$ docker run -d --name front -p 127.0.0.1::80 \\\n"
           "    --label a=b --dns 127.0.0.1 x\nID\n")
    other = ("$ docker run -d --name front \\\n    -p 127.0.0.1::80 --label a=b \\\n"
             "    --dns 127.0.0.1 x\nID\n")
    assert sanitize(one) == sanitize(other)
    assert sanitize(one).startswith("$ docker run -d --name front -p 127.0.0.1::80 --label a=b")
    assert sanitize("a\\\nb") == "a\\\nb"  # a backslash that ends a line of output stays


def test_trailing_spaces_of_column_output_are_dropped() -> None:
    assert sanitize("users:((\"dockerd\",pid=1,fd=2)) \nnext") == sanitize(
        "users:((\"dockerd\",pid=9,fd=8))\nnext")
