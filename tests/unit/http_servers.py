"""The one HTTP server the unit tests start: on 127.0.0.1, in a thread, with no name lookup."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that binds without HTTPServer.server_bind's socket.getfqdn() (a DNS
    query, which a test must not send)."""

    def server_bind(self) -> None:
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class QuietHandler(BaseHTTPRequestHandler):
    """A test server's handler: it logs nothing, and `reply` sends one whole answer."""

    def reply(self, status: int, body: bytes = b"",
              headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Send STATUS, the HEADERS (repeats allowed), a Content-Length and BODY."""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve HANDLER on a free port of 127.0.0.1 until the block ends; yields the port."""
    server = LoopbackHTTPServer(("127.0.0.1", 0), handler)
    # A short poll: shutdown() returns within 50 ms, not serve_forever's default half second.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
