"""A connection HA closes while the client is sending: the caller gets ConnectionLost, and no reply
future is left behind with an exception nobody retrieves (asyncio then logs "Future exception was
never retrieved" through the loop's exception handler, as bench/ingest.py showed during reconnects).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.protocol import State

from core.ha.connection import ConnectionLost, HAConnection
from tests.ha_fixtures import wait_for
from tests.hostile_ws import Peer, hostile_server


@asynccontextmanager
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Every call of the running loop's exception handler while inside (collected garbage included)."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
        gc.collect()  # an unretrieved exception is reported when its future is collected
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)


async def close_frame_then_hold(peer: Peer) -> None:
    """HA's side: authenticate, then a close frame while the TCP connection stays open a while."""
    await peer.auth_and_features()
    await peer.send_close()
    await asyncio.sleep(0.3)


async def test_a_command_sent_while_ha_closes_raises_and_leaves_no_unretrieved_future() -> None:
    async with loop_errors() as errors, hostile_server(close_frame_then_hold) as url:
        conn = await HAConnection.open(url, "token", timeout_s=5)
        try:
            await wait_for(lambda: conn.ws.protocol.state is State.CLOSING, what="HA's close frame")
            # The socket is still open: the write waits for it to close, and the reader ends first.
            with pytest.raises(ConnectionLost):
                await conn.command({"type": "get_states"}, 5)
            assert isinstance(await conn.wait_closed(), ConnectionLost)
        finally:
            await conn.close()
    assert [e.get("message") for e in errors] == []


async def test_a_ping_cancelled_while_sending_leaves_no_unretrieved_future() -> None:
    """The client cancels its ping task when a connection ends (HAClient._session does): a ping
    whose write was still waiting must not leave its reply future to the reader's end."""
    async with loop_errors() as errors, hostile_server(close_frame_then_hold) as url:
        conn = await HAConnection.open(url, "token", timeout_s=5)
        try:
            await wait_for(lambda: conn.ws.protocol.state is State.CLOSING, what="HA's close frame")
            ping = asyncio.create_task(conn.ping(5))
            await asyncio.sleep(0.05)  # the ping's write now waits for the socket to close
            ping.cancel()
            await asyncio.gather(ping, return_exceptions=True)
            del ping  # its CancelledError's traceback would keep the reply future alive
            await conn.wait_closed()
        finally:
            await conn.close()
    assert [e.get("message") for e in errors] == []
