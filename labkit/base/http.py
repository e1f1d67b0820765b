"""The course's one HTTP client: requests to this machine (loopback) only, refused elsewhere.

Taught in: 01-building-images (the front-end app, the lesson's registry), 02-overlayfs-and-
image-storage (blobs from the registry), 03-networking (`probes.http_get`, the two-tier app).

It is built on http.client rather than urllib on purpose: urllib would follow a redirect to any
host and send requests through an `http_proxy` from the environment; http.client connects to
exactly the address it is given. A container's own address is reached from inside a container
(busybox wget via `docker exec`), never from here.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labkit.base.errors import LabkitError
from labkit.base.i18n import N_, _

LOOPBACK = "127.0.0.1"  # where the course publishes every port, and the only host it asks
USER_AGENT = "labkit"
NOT_HERE_HINT = N_("lessons only talk to this machine")


class NotLoopback(LabkitError):
    """A URL that leaves this machine (the course never sends a request anywhere else)."""


class NoAnswer(LabkitError):
    """Nothing answered HTTP: refused, reset, timed out, or not HTTP at all.

    Attributes:
        reason: why, in a few words ("Connection refused", "timed out").
    """

    def __init__(self, message: str, hint: str = "", *, reason: str = "") -> None:
        super().__init__(message, hint)
        self.reason = reason


class BadStatus(LabkitError):
    """An answer whose status is not 2xx, where the caller needed success.

    Attributes:
        status: the HTTP status code.
    """

    def __init__(self, message: str, hint: str = "", *, status: int = 0) -> None:
        super().__init__(message, hint)
        self.status = status


@dataclass(frozen=True)
class Response:
    """One HTTP answer.

    Attributes:
        url: the URL asked.
        status: the HTTP status code.
        reason: the status line's text ("OK", "Not Found").
        headers: (name, value) pairs as the server sent them.
        body: the body, whole.
    """

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def text(self) -> str:
        """The body as text (UTF-8; bytes that are not become U+FFFD)."""
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError when it is not)."""
        return json.loads(self.body)

    def header(self, name: str, default: str = "") -> str:
        """A header's value (any case; repeated ones joined with ", "), or DEFAULT."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ", ".join(values) if values else default

    def raise_for_status(self) -> Response:
        """Return this answer when its status is 2xx.

        Raises:
            BadStatus: any other status ("HTTP Error 404: Not Found", as urllib says it).
        """
        if 200 <= self.status < 300:
            return self
        raise BadStatus(
            _("HTTP Error {status}: {reason}").format(status=self.status, reason=self.reason),
            _("GET {url} was answered with {status}; read the server's log").format(
                url=self.url, status=self.status
            ),
            status=self.status,
        )


def is_loopback(host: str) -> bool:
    """True for "localhost" and any address in 127.0.0.0/8 or ::1 (never looks a name up)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request(url: str, method: str = "GET", *, body: bytes | str | None = None,
            headers: Mapping[str, str] | None = None, timeout: float = 10) -> Response:
    """Send one HTTP request to this machine and read the whole answer.

    Any status comes back as a Response (404 is an answer); use `.raise_for_status()` where
    only success will do. Redirects are not followed.

    Args:
        url: an http:// URL on loopback, e.g. "http://127.0.0.1:8080/notes/a".
        method: GET, PUT, ...
        body: the request body (str is sent as UTF-8).
        headers: extra request headers.
        timeout: seconds for connecting and for each read.

    Returns:
        The answer.

    Raises:
        NotLoopback: the URL names another host, or is not http://.
        NoAnswer: nothing answered HTTP there.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http":
        raise NotLoopback(_("{url} is not an http:// URL.").format(url=url),
                          _("the course's servers speak plain HTTP on 127.0.0.1"))
    if not is_loopback(host):
        raise NotLoopback(
            _("{url} is not on {loopback}.").format(url=url, loopback=LOOPBACK), _(NOT_HERE_HINT)
        )
    try:
        port = parts.port or 80
    except ValueError as exc:
        raise NotLoopback(_("{url} has no valid port.").format(url=url), _("write it as http://127.0.0.1:PORT/")
                          ) from exc
    # "localhost" is connected to as 127.0.0.1: no name is ever resolved.
    address = LOOPBACK if host.lower() == "localhost" else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {"Host": parts.netloc.rpartition("@")[2], "User-Agent": USER_AGENT, **(headers or {})}
    data = body.encode() if isinstance(body, str) else body
    conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        conn.request(method, target, body=data, headers=sent)
        resp = conn.getresponse()
        payload = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise NoAnswer(
            _("Nothing answers HTTP on {host}:{port} ({reason}).").format(
                host=host, port=port, reason=reason
            ),
            _("is the server running? read its log (`docker logs NAME`)"),
            reason=reason,
        ) from exc
    finally:
        conn.close()
    return Response(url, resp.status, resp.reason, tuple(resp.getheaders()), payload)


def get(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10) -> Response:
    """GET a URL on this machine; see `request` (same arguments, answer and errors)."""
    return request(url, "GET", headers=headers, timeout=timeout)
