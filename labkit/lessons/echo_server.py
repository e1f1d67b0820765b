"""A tiny HTTP server that answers with the address the request came from.

Runs inside the lesson's "outside world" netns (labkit.lessons.outside); chapters 03 and 04 use
it to show SNAT: the server sees the host's address, not the container's.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"client_address": self.client_address[0],
                           "server": self.server.server_address[0]}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's name (a DNS query); a lesson sends none.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main() -> None:
    """Serve on --address:--port until stopped."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--address", default="0.0.0.0")  # noqa: S104 - inside a lesson netns only
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    _Server((args.address, args.port), _Handler).serve_forever()


if __name__ == "__main__":
    main()
