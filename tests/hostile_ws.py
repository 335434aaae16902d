"""A minimal WebSocket server (RFC 6455 by hand, asyncio streams) for faults a real server library
hides: a close frame sent while the TCP connection stays open, frames written at exact moments.

Tests script it with a coroutine `handler(peer)`; `peer.recv_json()` reads one client frame
(unmasked and decoded), `peer.send_json()` / `peer.send_close()` write server frames.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE = 0x1, 0x8


class Peer:
    """The server's side of one connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def handshake(self) -> None:
        head = await self.reader.readuntil(b"\r\n\r\n")
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
        self.writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        await self.writer.drain()

    async def recv_frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
        data = await self.reader.readexactly(length)
        return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    async def recv_json(self) -> Any:
        opcode, data = await self.recv_frame()
        assert opcode == _TEXT, f"expected a text frame, got opcode {opcode}"
        return orjson.loads(data)

    def _frame(self, opcode: int, data: bytes) -> bytes:
        if len(data) < 126:
            header = struct.pack("!BB", 0x80 | opcode, len(data))
        elif len(data) < 2**16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, len(data))
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, len(data))
        return header + data

    async def send_json(self, message: Any) -> None:
        self.writer.write(self._frame(_TEXT, orjson.dumps(message)))
        await self.writer.drain()

    async def send_close(self, code: int = 1000) -> None:
        """A close frame only: the TCP connection stays open until the handler returns."""
        self.writer.write(self._frame(_CLOSE, struct.pack("!H", code)))
        await self.writer.drain()

    async def auth_and_features(self, ha_version: str = "2025.4.4") -> None:
        """HA's auth phase (any token) and the supported_features reply the client expects."""
        await self.send_json({"type": "auth_required", "ha_version": ha_version})
        await self.recv_json()
        await self.send_json({"type": "auth_ok", "ha_version": ha_version})
        features = await self.recv_json()
        await self.send_json({"id": features["id"], "type": "result", "success": True, "result": None})


Handler = Callable[[Peer], Awaitable[None]]


@asynccontextmanager
async def hostile_server(handler: Handler) -> AsyncIterator[str]:
    """Serve `handler` on 127.0.0.1 (free port); yield the ws:// URL. Connections end when it returns."""
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        peer = Peer(reader, writer)
        try:
            await peer.handshake()
            await handler(peer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            tasks.discard(task)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/api/websocket"
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
