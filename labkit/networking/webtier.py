"""The web tier of chapter 03's two-tier app: a tiny HTTP service that keeps its data in redis.

Taught in: 03-networking (containers talking by name). This file runs inside a
labkit/python:3.11-slim container, so it uses the standard library only, including a small client
for RESP, the protocol redis speaks. It finds its database by the name in DB_HOST, which
Docker's embedded DNS answers on a user-defined network.

    GET  /              count a visit (INCR hits); say which database answered, and where
    PUT  /notes/KEY     store the request body under KEY (SET notes:KEY)
    GET  /notes/KEY     read it back (GET notes:KEY)
"""

from __future__ import annotations

import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any


class RespError(Exception):
    """redis answered with an error ('-ERR ...')."""


def encode(args: list[str]) -> bytes:
    """A command as RESP: an array of bulk strings, e.g. *2 $3 GET $5 hello."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def read_reply(stream: Any) -> Any:
    """Read one RESP reply from a binary file object (socket.makefile('rb')).

    Returns str for simple and bulk strings, int for integers, None for a null bulk
    string, a list for arrays. Raises RespError for an error reply.
    """
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("the connection closed in the middle of a reply")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RespError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data = stream.read(size + 2)
        return data[:-2].decode()
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [read_reply(stream) for _ in range(count)]
    raise ConnectionError(f"not a RESP reply: {line[:20]!r}")


class Redis:
    """One connection to a redis server.

    Args:
        host: its name or address (a container name on a user-defined network).
        port: its TCP port.
    """

    def __init__(self, host: str, port: int = 6379, timeout: float = 5) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.peer = self.sock.getpeername()[0]
        self.stream = self.sock.makefile("rb")

    def command(self, *args: str) -> Any:
        """Send one command and return its reply."""
        self.sock.sendall(encode([str(a) for a in args]))
        return read_reply(self.stream)

    def close(self) -> None:
        """Close the connection."""
        self.stream.close()
        self.sock.close()


class Handler(BaseHTTPRequestHandler):
    """The web tier's HTTP requests, each served with a fresh database connection."""

    db_host = "db"
    db_port = 6379

    def _db(self) -> Redis:
        return Redis(self.db_host, self.db_port)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        """Count a visit, or read a note."""
        db = self._db()
        try:
            if self.path == "/":
                hits = db.command("INCR", "hits")
                self._send(200, {"hits": hits, "db": self.db_host, "db_address": db.peer})
            elif self.path.startswith("/notes/"):
                key = self.path[len("/notes/"):]
                value = db.command("GET", f"notes:{key}")
                self._send(200 if value is not None else 404, {"key": key, "value": value})
            else:
                self._send(404, {"error": "unknown path"})
        finally:
            db.close()

    def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
        """Store a note."""
        if not self.path.startswith("/notes/"):
            self._send(404, {"error": "unknown path"})
            return
        key = self.path[len("/notes/"):]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        db = self._db()
        try:
            self._send(200, {"key": key, "stored": db.command("SET", f"notes:{key}", body)})
        finally:
            db.close()

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep the container's log quiet."""


class Server(ThreadingHTTPServer):
    """An HTTP server that does not look up its own host name (no DNS query)."""

    def server_bind(self) -> None:
        """Bind without HTTPServer's getfqdn() call."""
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main() -> None:
    """Serve on 0.0.0.0:PORT (inside the container's own netns) until stopped."""
    Handler.db_host = os.environ.get("DB_HOST", "db")
    Handler.db_port = int(os.environ.get("DB_PORT", "6379"))
    port = int(os.environ.get("PORT", "8000"))
    Server(("0.0.0.0", port), Handler).serve_forever()  # noqa: S104 - the container's netns


if __name__ == "__main__":
    main()
