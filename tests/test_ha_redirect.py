"""The HA URL answering with a redirect: followed within the same origin, refused to any other, so
the token (sent in the first frame after the handshake) never reaches another server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
import pytest
from aiohttp import WSMsgType, web

from core.ha.connection import HAConnection, RedirectRefused
from core.ha.errors import describe_error

TOKEN = "redirect-test-token-5f0c7a9e1d2b"


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def fake_ha(received: list[str]) -> web.Application:
    """Just enough of HA's auth phase to see which token arrives (and to let a connection finish)."""

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(orjson.dumps({"type": "auth_required", "ha_version": "2025.4.4"}).decode())
        msg = await ws.receive()
        if msg.type == WSMsgType.TEXT:
            received.append(orjson.loads(msg.data).get("access_token", ""))
        await ws.send_str(orjson.dumps({"type": "auth_ok", "ha_version": "2025.4.4"}).decode())
        async for frame in ws:
            request_id = orjson.loads(frame.data)["id"]
            await ws.send_str(orjson.dumps({"id": request_id, "type": "result", "success": True}).decode())
        return ws

    app = web.Application()
    app.router.add_get("/api/websocket", websocket)
    app.router.add_get("/real/api/websocket", websocket)
    return app


def redirector(location: str) -> web.Application:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(location)

    app = web.Application()
    app.router.add_get("/api/websocket", redirect)
    return app


async def test_a_redirect_to_another_origin_is_refused_and_gets_no_token() -> None:
    stolen: list[str] = []
    async with (
        serve(fake_ha(stolen)) as other_port,
        serve(redirector(f"ws://127.0.0.1:{other_port}/api/websocket")) as port,
    ):
        with pytest.raises(RedirectRefused) as err:
            await HAConnection.open(f"ws://127.0.0.1:{port}/api/websocket", TOKEN, timeout_s=5)
    assert stolen == []
    text = describe_error(err.value, TOKEN)
    assert f"127.0.0.1:{other_port}" in text and "home_assistant.url" in text and TOKEN not in text


async def test_a_redirect_within_the_same_origin_is_followed() -> None:
    received: list[str] = []
    app = fake_ha(received)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/real/api/websocket")

    app.router.add_get("/old/api/websocket", moved)
    async with serve(app) as port:
        conn = await HAConnection.open(f"ws://127.0.0.1:{port}/old/api/websocket", TOKEN, timeout_s=5)
        await conn.close()
    assert received == [TOKEN]
