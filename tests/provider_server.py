"""A real local HTTP server (aiohttp on 127.0.0.1, a free port) that answers like a provider:
fixture files from tests/fixtures/providers/ or literal bodies, with any status and headers, and
records every request so tests can check what was sent (keys in headers, query parameters)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio
from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "providers"


@dataclass(frozen=True, slots=True)
class Reply:
    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"
    hang: bool = False  # never answer (a provider that accepts the connection and stalls)


def fixture(name: str, status: int = 200, **headers: str) -> Reply:
    kind = "application/xml" if name.endswith(".xml") else "application/json"
    return Reply((FIXTURES / name).read_bytes(), status, tuple(headers.items()), kind)


@dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class ProviderServer:
    """`on(path, *replies)`: each request to `path` takes the next reply; the last one repeats."""

    replies: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    def on(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies)

    def hits(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path == path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        queue = self.replies.get(request.path)
        if not queue:
            return web.Response(status=404, text="no fixture for " + request.path)
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.hang:
            await asyncio.Event().wait()
        data = reply.body.replace(b"{base}", self.url.encode())
        resp = web.Response(body=data or None, status=reply.status, headers=dict(reply.headers))
        if data:
            resp.content_type = reply.content_type
        return resp

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest_asyncio.fixture
async def provider_server() -> AsyncIterator[ProviderServer]:
    server = ProviderServer()
    await server.start()
    yield server
    await server.stop()
