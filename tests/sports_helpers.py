"""Shared by the sports tests: the ESPN-shaped fixtures and a real local ESPN-like server whose
answers a test scripts per path (a payload, an HTTP status, or a hang), plus a webhook receiver
that verifies signatures like a user's would."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from core.sports.webhooks import verify

FIXTURES = Path(__file__).parent / "fixtures" / "espn"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Status:
    code: int


@dataclass
class Hang:
    seconds: float = 30.0


class LocalServer:
    """A real aiohttp server on 127.0.0.1 on a free port; a subclass adds its routes."""

    port: int = 0
    _runner: web.AppRunner | None = None

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class FakeEspn(LocalServer):
    """An ESPN-shaped server: `answers[path]` is served to GET {base}/{path}."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.hits: dict[str, int] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        self.hits[path] = self.hits.get(path, 0) + 1
        answer = self.answers.get(path)
        if answer is None:
            return web.json_response({"code": 404}, status=404)
        if isinstance(answer, Status):
            return web.Response(status=answer.code, text="error")
        if isinstance(answer, Hang):
            await asyncio.sleep(answer.seconds)
        return web.json_response(answer)


@dataclass
class Received:
    event_id: str
    body: dict[str, Any]
    valid: bool


@dataclass
class Receiver(LocalServer):
    """A webhook receiver that checks X-Signature the way the README tells users to."""

    secret: str = ""
    status: int = 200
    delay_s: float = 0.0
    hold: asyncio.Event | None = None  # when set by the test, answer; until then every request waits
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/hook", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        import time

        body = await request.read()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.hold is not None:
            await self.hold.wait()
        ok = verify(
            self.secret,
            request.headers.get("X-Timestamp", ""),
            body,
            request.headers.get("X-Signature", ""),
            now=time.time(),
        )
        self.received.append(Received(request.headers.get("X-Event-Id", ""), json.loads(body), ok))
        self.arrived.set()
        return web.Response(status=self.status if ok else 401)

    def types(self) -> list[str]:
        return [r.body["type"] for r in self.received]
