from __future__ import annotations

import json
import threading
import urllib.request

from labkit.lessons import echo_server


def test_it_reports_the_client_address_and_does_no_name_lookup() -> None:
    # No name lookup: socket.getfqdn fails every unit test that calls it (conftest.py).
    server = echo_server._Server(("127.0.0.1", 0), echo_server._Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            answer = json.loads(resp.read())
        assert answer == {"client_address": "127.0.0.1", "server": "127.0.0.1"}
    finally:
        server.shutdown()
        server.server_close()
