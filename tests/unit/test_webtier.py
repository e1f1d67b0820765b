"""webtier: the RESP client, and the web tier end to end against a small fake redis on loopback."""

from __future__ import annotations

import io
import json
import socketserver
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from labkit.networking import webtier


def test_encode_is_an_array_of_bulk_strings() -> None:
    assert webtier.encode(["GET", "hello"]) == b"*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n"
    assert webtier.encode(["SET", "k", "é"]) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n"


@pytest.mark.parametrize(("raw", "value"), [
    (b"+OK\r\n", "OK"), (b":42\r\n", 42), (b"$5\r\nhello\r\n", "hello"), (b"$-1\r\n", None),
    (b"$0\r\n\r\n", ""), (b"*2\r\n$1\r\na\r\n:1\r\n", ["a", 1]), (b"*-1\r\n", None),
    (b"$6\r\na\r\nb c\r\n", "a\r\nb c")])
def test_read_reply(raw: bytes, value: object) -> None:
    assert webtier.read_reply(io.BytesIO(raw)) == value


def test_error_reply_raises() -> None:
    with pytest.raises(webtier.RespError, match="WRONGTYPE"):
        webtier.read_reply(io.BytesIO(b"-WRONGTYPE Operation against a key\r\n"))


@pytest.mark.parametrize("raw", [b"", b"+OK", b"?what\r\n"])
def test_broken_replies_are_connection_errors(raw: bytes) -> None:
    with pytest.raises(ConnectionError):
        webtier.read_reply(io.BytesIO(raw))


class FakeRedis(socketserver.ThreadingTCPServer):
    """GET, SET and INCR on a dict, speaking RESP (parsed with the module's own reader)."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        super().__init__(("127.0.0.1", 0), FakeRedisHandler)


class FakeRedisHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        store = self.server.data  # type: ignore[attr-defined]
        while True:
            try:
                cmd = webtier.read_reply(self.rfile)
            except ConnectionError:
                return
            name, args = cmd[0].upper(), cmd[1:]
            if name == "SET":
                store[args[0]] = args[1]
                self.wfile.write(b"+OK\r\n")
            elif name == "GET":
                v = store.get(args[0])
                self.wfile.write(b"$-1\r\n" if v is None else
                                 b"$%d\r\n%s\r\n" % (len(v.encode()), v.encode()))
            elif name == "INCR":
                store[args[0]] = str(int(store.get(args[0], "0")) + 1)
                self.wfile.write(b":%s\r\n" % store[args[0]].encode())
            else:
                self.wfile.write(b"-ERR unknown command\r\n")


@pytest.fixture
def fake_redis() -> Iterator[FakeRedis]:
    server = FakeRedis()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_redis_client_round_trip(fake_redis: FakeRedis) -> None:
    db = webtier.Redis("127.0.0.1", fake_redis.server_address[1])
    try:
        assert db.command("SET", "k", "v") == "OK"
        assert db.command("GET", "k") == "v"
        assert db.command("INCR", "n") == 1
        with pytest.raises(webtier.RespError):
            db.command("FLY")
        assert db.peer == "127.0.0.1"
    finally:
        db.close()


@pytest.fixture
def web(fake_redis: FakeRedis) -> Iterator[str]:
    class ToFakeRedis(webtier.Handler):  # what main() sets from DB_HOST and DB_PORT
        db_host = "127.0.0.1"
        db_port = fake_redis.server_address[1]

    server = webtier.Server(("127.0.0.1", 0), ToFakeRedis)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url: str, method: str = "GET", body: bytes | None = None) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, method=method),
                                    timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_web_tier_writes_and_reads_the_database(web: str, fake_redis: FakeRedis) -> None:
    assert call(f"{web}/notes/a") == (404, {"key": "a", "value": None})
    assert call(f"{web}/notes/a", "PUT", b"hi there") == (200, {"key": "a", "stored": "OK"})
    assert fake_redis.data["notes:a"] == "hi there"
    assert call(f"{web}/notes/a") == (200, {"key": "a", "value": "hi there"})
    assert call(f"{web}/") == (200, {"hits": 1, "db": "127.0.0.1", "db_address": "127.0.0.1"})
    assert call(f"{web}/")[1]["hits"] == 2  # type: ignore[index]
    assert call(f"{web}/elsewhere")[0] == 404
    assert call(f"{web}/elsewhere", "PUT", b"x")[0] == 404


def test_server_does_not_look_up_its_own_name() -> None:
    # socket.getfqdn fails every unit test that calls it (conftest.py).
    server = webtier.Server(("127.0.0.1", 0), webtier.Handler)
    assert server.server_name == "127.0.0.1"
    server.server_close()
