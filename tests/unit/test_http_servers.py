"""No HTTP server, in labkit or in the tests, looks up the host's name (socket.getfqdn)."""

from __future__ import annotations

import ast
import http.client
from pathlib import Path

import pytest

from .http_servers import QuietHandler, serving

ROOT = Path(__file__).resolve().parents[2]
# http.server's classes whose server_bind calls socket.getfqdn().
LOOKING_UP = {"HTTPServer", "ThreadingHTTPServer"}


def _named(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _lookups(source: str) -> list[int]:
    """Lines that start a looking-up server, or subclass one without their own server_bind."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _named(node.func) in LOOKING_UP:
            lines.append(node.lineno)
        elif isinstance(node, ast.ClassDef) and any(_named(b) in LOOKING_UP for b in node.bases):
            if not any(isinstance(s, ast.FunctionDef) and s.name == "server_bind"
                       for s in node.body):
                lines.append(node.lineno)
    return sorted(lines)


def test_the_finder_sees_a_direct_server_and_a_bare_subclass() -> None:
    source = ("import http.server\n"
              "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
              "class S(HTTPServer):\n    pass\n"
              "class T(HTTPServer):\n    def server_bind(self): ...\n")
    assert _lookups(source) == [2, 3]


@pytest.mark.parametrize("folder", ["labkit", "tests"])
def test_no_server_looks_up_a_name(folder: str) -> None:
    found = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / folder).rglob("*.py"))
             if (lines := _lookups(p.read_text()))}
    assert found == {}, "use tests/unit/http_servers.py (or bind as it does)"


class _Hello(QuietHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.reply(200, f"{self.server.server_name}:{self.server.server_port}".encode())


def test_serving_answers_on_loopback_without_a_lookup() -> None:
    # No name lookup: socket.getfqdn fails every unit test that calls it (conftest.py).
    with serving(_Hello) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # no proxy, ever
        try:
            conn.request("GET", "/")
            assert conn.getresponse().read().decode() == f"127.0.0.1:{port}"
        finally:
            conn.close()
