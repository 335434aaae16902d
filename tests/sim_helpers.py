"""Raw `websockets` helpers for the simulator tests: no project client involved on purpose."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.ha.simulator import Simulator, SimulatorConfig

TOKEN = "sim-token"

# Messages that arrived in the same coalesced frame as a reply `call` was waiting for; `collect` and
# `next_message` hand them out first so nothing is lost.
_LEFTOVERS: weakref.WeakKeyDictionary[ClientConnection, deque[Any]] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def running(**overrides: Any) -> AsyncIterator[Simulator]:
    """A started simulator on a free port; 20 events/s unless overridden."""
    sim = Simulator(SimulatorConfig(**{"rate": 20.0, **overrides}))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def open_ws(sim: Simulator, **kwargs: Any) -> ClientConnection:
    """Connect without compression and without a message size limit."""
    return await connect(sim.url, max_size=None, compression=None, open_timeout=5, **kwargs)


async def recv(ws: ClientConnection, timeout: float = 3.0) -> Any:
    """Receive and decode one frame."""
    return orjson.loads(await asyncio.wait_for(ws.recv(), timeout))


async def send(ws: ClientConnection, message: Any) -> None:
    """Encode and send one frame."""
    await ws.send(orjson.dumps(message).decode())


@asynccontextmanager
async def authed(sim: Simulator, *, coalesce: bool = False, **kwargs: Any) -> AsyncIterator[ClientConnection]:
    """An authenticated connection; with coalesce=True, supported_features was sent with id 1."""
    ws = await open_ws(sim, **kwargs)
    try:
        assert (await recv(ws))["type"] == "auth_required"
        await send(ws, {"type": "auth", "access_token": sim.config.token})
        assert (await recv(ws))["type"] == "auth_ok"
        if coalesce:
            await send(ws, {"id": 1, "type": "supported_features", "features": {"coalesce_messages": 1}})
            assert (await recv(ws))["success"] is True
        yield ws
    finally:
        await close(ws)


async def close(ws: ClientConnection) -> None:
    """Close while still reading: a client that stops reading mid-stream would otherwise wait its whole
    close_timeout for a close frame stuck behind the events it did not read."""
    drain = asyncio.create_task(_drain(ws))
    try:
        await ws.close()
    finally:
        drain.cancel()


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


def flatten(frame: Any) -> list[Any]:
    """A frame is one message or (coalesced) an array of messages."""
    return frame if isinstance(frame, list) else [frame]


async def next_message(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    """Return the next message, unpacking coalesced frames."""
    pending = _LEFTOVERS.setdefault(ws, deque())
    if not pending:
        pending.extend(flatten(await recv(ws, timeout=timeout)))
    return dict(pending.popleft())


async def call(ws: ClientConnection, msg_id: int, msg_type: str, **fields: Any) -> dict[str, Any]:
    """Send a command and return its reply (result or pong); other messages stay queued for `collect`."""
    await send(ws, {"id": msg_id, "type": msg_type, **fields})
    pending = _LEFTOVERS.setdefault(ws, deque())
    skipped: list[Any] = []
    try:
        while True:
            message = await next_message(ws)
            if message.get("id") == msg_id and message.get("type") in ("result", "pong"):
                return message
            skipped.append(message)
    finally:
        pending.extendleft(reversed(skipped))


async def collect(
    ws: ClientConnection, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 5.0
) -> list[dict[str, Any]]:
    """Collect messages until `until(messages)` holds; fail after `timeout` seconds."""
    messages: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not until(messages):
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"timed out; collected {len(messages)} messages")
        messages.append(await next_message(ws, timeout=remaining))
    return messages


def events_of(messages: list[dict[str, Any]], event_type: str = "state_changed") -> list[dict[str, Any]]:
    """Return the `event` objects of a given type."""
    return [
        m["event"] for m in messages if m.get("type") == "event" and m["event"]["event_type"] == event_type
    ]


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
