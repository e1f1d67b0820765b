"""Chapter 04's sanitize rules fold host PIDs and inode numbers, but keep what teaches."""

from __future__ import annotations

import pytest

from .test_sanitize import sanitize


@pytest.mark.parametrize("a,b", [
    ("$ nsenter -t 4494 -n ip addr", "$ nsenter -t 27 -n ip addr"),
    ("$ ls -l --time-style=+ /proc/4494/ns", "$ ls -l --time-style=+ /proc/8/ns"),
    ("host PID 4494 is c1's main process", "host PID 12 is c1's main process"),
    ("$ kill -TERM 4550", "$ kill -TERM 9"),
    ("$ ps -o user,args -p 4550", "$ ps -o user,args -p 7"),
    ("NSpid:\t4550\t1", "NSpid:\t77\t1"),
    ("nonet (id: 3)", "nonet (id: 0)"),
    ("231: eth0@if232: <BROADCAST>", "9: eth0@if10: <BROADCAST>"),
    ("net -> net:[4026532184]", "net -> net:[4026531833]"),
    ("PID   USER     COMMAND\n    1 root     sleep 86400\n    7 root     ps",
     "PID   USER     COMMAND\n    1 root     sleep 86400\n    8 root     ps"),
])
def test_what_varies_is_folded(a: str, b: str) -> None:
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize("a,b", [
    ("inside c2 PID 1 sleep", "inside c2 PID 7 sleep"),
    ("    1 root     sleep 86400", "    2 root     sleep 86400"),
    ("NSpid:\t4550\t1", "NSpid:\t4550\t2"),
    ("1: lo: <LOOPBACK>", "1: eth1: <LOOPBACK>"),
    ("c2: exited (exit code 137)", "c2: exited (exit code 143)"),
])
def test_what_teaches_is_kept(a: str, b: str) -> None:
    assert sanitize(a) != sanitize(b)
