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
    ("wire-me: host PID 15958; veth vethc", "wire-me: host PID 24033; veth vethc"),
    ("$ nsenter -t 15958 -n ip link set eth0 up", "$ nsenter -t 24033 -n ip link set eth0 up"),
    ("sleep: one process, two numbers (NSpid in /proc/18521/status lists both)",
     "sleep: one process, two numbers (NSpid in /proc/16058/status lists both)"),
    ("PID   USER     COMMAND\n    1 root     sleep 86400\n    7 root     ps",
     "PID   USER     COMMAND\n    1 root     sleep 86400\n    8 root     ps"),
    ("    1 root     /sbin/docker-init\n    7 root     sleep 86400",
     "    1 root     /sbin/docker-init\n   12 root     sleep 86400"),
    ("$ ip link set vethd netns 15958", "$ ip link set vethd netns 24033"),
    # helper D's rules
    ("$ docker inspect -f '{{.State.Pid}}' c1\n7130\n",
     "$ docker inspect -f '{{.State.Pid}}' c1\n99\n"),
    ("Name:\tsleep\nPPid:\t7150\nNSpid:\t7182\t1", "Name:\tsleep\nPPid:\t31\nNSpid:\t40\t1"),
    ("HTTP/1.0 200 OK\r\nDate: Sat, 05 Dec 2026 13:20:01 GMT\r\nContent-Length: 61\r\n",
     "HTTP/1.0 200 OK\r\nDate: Sun, 06 Dec 2026 09:02:11 GMT\r\nContent-Length: 61\r\n"),
    ("Server: BaseHTTP/0.6 Python/3.14.8\r\n", "Server: BaseHTTP/0.6 Python/3.11.2\r\n"),
    ("$ ps -o pid,ppid,stat,comm -p 18000 --ppid 18000",
     "$ ps -o pid,ppid,stat,comm -p 7 --ppid 7"),
    ("  18000   17980 Ss   sleep\n  18050   18000 Z    sleep <defunct>",
     "    700     690 Ss   sleep\n    712     700 Z    sleep <defunct>"),
    ("PID                 COMMAND\n8367                sh\n8390                sleep",
     "PID                 COMMAND\n512                 sh\n513                 sleep"),
])
def test_what_varies_is_folded(a: str, b: str) -> None:
    assert sanitize(a) == sanitize(b)


@pytest.mark.parametrize("a,b", [
    ("inside c2 PID 1 sleep", "inside c2 PID 7 sleep"),
    ("    1 root     sleep 86400", "    2 root     sleep 86400"),
    ("NSpid:\t4550\t1", "NSpid:\t4550\t2"),
    ("1: lo: <LOOPBACK>", "1: eth1: <LOOPBACK>"),
    ("c2: exited (exit code 137)", "c2: exited (exit code 143)"),
    ("plain  sleep  about 10 s  137", "plain  sleep  under 2 s  137"),
    ("PID 1  docker-init  S (sleeping)", "PID 1  docker-init  Z (zombie)"),
    # helper D's rules leave the rest of each line alone
    ("$ docker inspect -f '{{.State.Pid}}' c1\n7130\n",
     "$ docker inspect -f '{{.State.Pid}}' c2\n7130\n"),
    ("PPid:\t7150", "PPid:\t7150 (zombie)"),
    ("HTTP/1.0 200 OK\r\nDate: x\r\nContent-Length: 61",
     "HTTP/1.0 404 Not Found\r\nDate: x\r\nContent-Length: 61"),
    ("Server: BaseHTTP/0.6\r\nContent-Length: 61", "Server: BaseHTTP/0.6\r\nContent-Length: 62"),
    ("  18000   17980 Ss   sleep\n  18050   18000 Z    sleep <defunct>",
     "  18000   17980 Ss   sleep\n  18050   18000 S    sleep"),
    ("8367 sleep", "8367 sleeping"),
    ("    1 root     sh", "    2 root     sh"),
    ("plain  sleep  about 3 s  137", "plain  sleep  under 2 s  137"),
])
def test_what_teaches_is_kept(a: str, b: str) -> None:
    assert sanitize(a) != sanitize(b)
