"""Request guards the middleware and the route wrapper apply: the Host header (DNS rebinding), the
JSON content type of bodies (a cross-site form cannot send one without a CORS preflight), the bound
on concurrent heavy queries, and a client that hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator, Iterable

from core.api.validation import ApiError
from core.hosts import LOOPBACK_NAMES

HEAVY_RUNNING = 1  # the store has two reader threads: keep one free for light reads
HEAVY_WAITING = 3
RETRY_AFTER_S = 5


class ClientGone(Exception):
    """The client closed the connection before its request was read: its event, not our error."""


def host_name(header: str) -> str:
    """The host part of a Host header ("[::1]:8006" -> "::1", "Example.LAN:80" -> "example.lan")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        return header.partition(":")[0]
    return header.rstrip(".")


def host_allowed(header: str | None, bound_host: str, allowed: Iterable[str]) -> bool:
    """A DNS rebinding page reaches us under its own name, so only names we know are answered:
    loopback names, any IP literal (a rebinding attack needs a name), the bound host and
    [api] allowed_hosts. A request without Host (HTTP/1.0) comes from no browser: allowed."""
    if header is None:
        return True
    name = host_name(header).rstrip(".")
    if not name:
        return False
    if name in LOOPBACK_NAMES:
        return True
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name.split("%", 1)[0])
        return True
    known = {bound_host.strip().lower().rstrip("."), *(h.strip().lower().rstrip(".") for h in allowed)}
    return name in known


def require_json(content_type: str | None) -> None:
    """415 unless the body is declared JSON (application/json or application/<x>+json)."""
    mime = (content_type or "").partition(";")[0].strip().lower()
    if mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json")):
        return
    raise ApiError(415, "unsupported_media_type", "the body must be sent as Content-Type: application/json")


class HeavyGate:
    """At most `running` heavy queries at once and `waiting` queued; one more answers 503."""

    def __init__(self, running: int = HEAVY_RUNNING, waiting: int = HEAVY_WAITING) -> None:
        self.running = running
        self.waiting = waiting
        self._slots = asyncio.Semaphore(running)
        self._inside = 0  # running + waiting
        self.rejected = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._inside >= self.running + self.waiting:
            self.rejected += 1
            raise Busy(f"{self.running + self.waiting} heavy queries are already running or queued")
        self._inside += 1
        try:
            async with self._slots:
                yield
        finally:
            self._inside -= 1


class Busy(ApiError):
    """503 with Retry-After: the server is healthy, just at its bound for heavy queries."""

    retry_after_s = RETRY_AFTER_S

    def __init__(self, detail: str) -> None:
        super().__init__(503, "busy", f"{detail}; retry in {RETRY_AFTER_S} s")
