"""Frames recorded from a real Home Assistant 2025.4.4 (tests/fixtures/ha-2025.4.4), and a local
WebSocket server that plays one recorded session back, byte for byte, to whatever connects.

The replay server is strict: each frame the client sends must equal (as JSON) the frame the
recording says the real client sent at that point, with the token in place of `<TOKEN>`; then it
sends what HA sent next, verbatim, up to the next expected client frame. `<CLOSE code ...>` closes
with that code. Anything unexpected is kept in `mismatches` and ends the session.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ha-2025.4.4"
TOKEN = "recorded-session-token-7c41"
HA_VERSION = "2025.4.4"
_CLOSE = re.compile(r"^<CLOSE (\d+)")


@dataclass(frozen=True)
class Frame:
    sent_by_client: bool
    text: str

    @property
    def close_code(self) -> int | None:
        found = _CLOSE.match(self.text)
        return int(found.group(1)) if found else None

    def json(self) -> Any:
        return json.loads(self.text)


def session(name: str) -> list[Frame]:
    """The frames of one recorded session (`discovery`, `live`, `history`, `errors`, `auth_invalid`)."""
    lines = (FIXTURES / f"{name}.jsonl").read_text().splitlines()
    return [Frame(obj["dir"] == "send", obj["frame"]) for obj in map(json.loads, lines) if obj]


def messages(name: str) -> list[Any]:
    """Every JSON message HA sent in a session, array frames unpacked, closes left out."""
    out: list[Any] = []
    for frame in session(name):
        if frame.sent_by_client or frame.close_code is not None:
            continue
        data = frame.json()
        out.extend(data if isinstance(data, list) else [data])
    return out


def reply(name: str, msg_id: int) -> dict[str, Any]:
    """HA's reply (result or pong) to the command with this id."""
    found = [m for m in messages(name) if m.get("id") == msg_id and m.get("type") in ("result", "pong")]
    assert len(found) == 1, f"{name}: {len(found)} replies to id {msg_id}"
    return dict(found[0])


def sent(name: str) -> list[dict[str, Any]]:
    """The client's JSON frames of a session (auth included), token as `<TOKEN>`."""
    return [frame.json() for frame in session(name) if frame.sent_by_client and frame.text.startswith('{"')]


def events(name: str, event_type: str = "state_changed") -> list[dict[str, Any]]:
    """The `event` objects HA delivered, in order."""
    return [
        m["event"]
        for m in messages(name)
        if m.get("type") == "event" and m["event"]["event_type"] == event_type
    ]


@dataclass
class Replay:
    """What the replay server saw."""

    url: str = ""
    mismatches: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)


def _same(got: str, expected: str) -> bool:
    """Equal as JSON; as text when the recorded frame is not JSON (errors.jsonl sends one)."""
    try:
        return bool(json.loads(got) == json.loads(expected))
    except ValueError:
        return got == expected


async def _play(ws: web.WebSocketResponse, frames: list[Frame], token: str, replay: Replay) -> None:
    for frame in frames:
        if frame.close_code is not None:
            await ws.close(code=frame.close_code)
            return
        if not frame.sent_by_client:
            await ws.send_str(frame.text)
            continue
        msg = await ws.receive(timeout=10)
        if msg.type is not WSMsgType.TEXT:
            replay.mismatches.append(f"expected {frame.text}, got {msg.type.name}")
            return
        replay.received.append(msg.data)
        if not _same(msg.data, frame.text.replace("<TOKEN>", token)):
            replay.mismatches.append(f"expected {frame.text}, got {msg.data}")
            return
    await ws.close()


@asynccontextmanager
async def replay_server(name: str, token: str = TOKEN) -> AsyncIterator[Replay]:
    """A 127.0.0.1 WebSocket server on a free port playing session `name` to each connection."""
    frames, replay = session(name), Replay()

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        try:
            await _play(ws, frames, token, replay)
        finally:
            replay.finished.set()
        return ws

    app = web.Application()
    app.router.add_get("/api/websocket", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    replay.url = f"ws://127.0.0.1:{port}/api/websocket"
    try:
        yield replay
    finally:
        await runner.cleanup()
