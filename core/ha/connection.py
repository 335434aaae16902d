"""One authenticated HA WebSocket connection: id allocation, sending, and routing of what comes back.

Ids are allocated and the frame written under one lock, so concurrent commands can never reach
HA out of order (HA answers a smaller id than the last with `id_reuse`). One reader task owns the
socket: it parses each frame (a bare object or, after coalesce_messages, an array) and routes
results and pongs to the future waiting for that id, and events to the handler registered for
their subscription id. Handlers run synchronously in the reader and must never block.

TLS policy and the wording of certificate failures live in core/tls.py; here a rejected
certificate becomes a `TLSProblem` (an HAError, so the client and the Test button show it as is).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.uri import parse_uri

from core.logs import register_secret
from core.models import JsonDict
from core.ratelog import RateLimitedLog
from core.tls import CertificateFileError, explain_rejection, ssl_context

log = logging.getLogger(__name__)

EventHandler = Callable[[Any], object]
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # get_states / entity registry of a big home exceed 1 MiB


class HAError(Exception):
    """Anything that ends or fails a connection; str() is shown to the user."""


class AuthInvalid(HAError):
    """HA rejected the token (auth_invalid); retrying soon only risks an ip_ban."""


class ProtocolViolation(HAError):
    """HA sent something the protocol does not allow (invalid JSON, wrong auth phase)."""


class ConnectionLost(HAError):
    """The socket closed, or the client closed it (liveness, shutdown)."""


class TLSProblem(HAError):
    """HA's certificate was rejected, or home_assistant.ca_cert cannot be used; str() says what to change."""


class RedirectRefused(HAError):
    """HA's URL redirected to another origin: the token is sent after connecting, so never follow."""


class _SameOriginConnect(connect):
    """websockets' connect, following redirects only within the configured origin (scheme, host,
    port): the access token goes in the first frame after the handshake, so following a redirect
    elsewhere would hand it to whoever the Location names."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        target = super().process_redirect(exc)
        if not isinstance(target, str):
            return target
        old, new = self.ws_uri, parse_uri(target)
        if (old.secure, old.host, old.port) != (new.secure, new.host, new.port):
            origin = f"{'wss' if new.secure else 'ws'}://{new.host}:{new.port}"
            return RedirectRefused(
                f"Home Assistant's URL redirects to another address ({origin}); refusing to send "
                "the token there. Put the final address in home_assistant.url."
            )
        return target


class CommandError(HAError):
    """A command answered success=false."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(slots=True)
class ReaderStats:
    frames: int = 0
    messages: int = 0
    events: int = 0
    invalid_json: int = 0
    unexpected: int = 0
    handler_errors: int = 0
    commands: int = 0


def _command_error(reply: JsonDict) -> CommandError:
    """HA's code and message from a success=false reply."""
    error = reply.get("error")
    if not isinstance(error, dict):
        error = {}
    return CommandError(str(error.get("code", "unknown_error")), str(error.get("message", "")))


def _preview(data: object, limit: int = 160) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else repr(data)
    return text if len(text) <= limit else text[:limit] + "..."


async def authenticate(ws: ClientConnection, token: str) -> str:
    """Run the auth phase; return HA's version. Raises AuthInvalid or ProtocolViolation."""
    first = orjson.loads(await ws.recv(decode=False))
    if not isinstance(first, dict) or first.get("type") != "auth_required":
        raise ProtocolViolation(f"expected auth_required, got {_preview(first)}")
    await ws.send(orjson.dumps({"type": "auth", "access_token": token}), text=True)
    reply = orjson.loads(await ws.recv(decode=False))
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind == "auth_ok":
        return str(reply.get("ha_version") or first.get("ha_version") or "")
    if kind == "auth_invalid":
        raise AuthInvalid(str(reply.get("message") or "Invalid access token or password"))
    raise ProtocolViolation(f"expected auth_ok or auth_invalid, got {_preview(reply)}")


class HAConnection:
    """Use `await HAConnection.open(url, token)`; then command(), subscribe(), ping(), close()."""

    def __init__(self, ws: ClientConnection, ha_version: str, *, yield_every: int = 50) -> None:
        self.ws = ws
        self.ha_version = ha_version
        self.stats = ReaderStats()
        self._yield_every = yield_every
        self._next_id = 1
        self._lock = asyncio.Lock()
        self._pending: dict[int, asyncio.Future[JsonDict]] = {}
        self._handlers: dict[int, EventHandler] = {}
        self._closed: asyncio.Future[HAError] = asyncio.get_running_loop().create_future()
        self._close_reason: HAError | None = None
        self._ratelog = RateLimitedLog(log)
        self._reader = asyncio.create_task(self._read_loop(), name="ha-reader")

    @classmethod
    async def open(
        cls,
        url: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        max_size: int = MAX_MESSAGE_BYTES,
        yield_every: int = 50,
        verify_ssl: bool = True,
        ca_cert: str = "",
        on_authenticating: Callable[[], None] | None = None,
    ) -> HAConnection:
        """Connect, authenticate and enable coalesce_messages (which must be id 1).

        `verify_ssl` and `ca_cert` apply to wss:// URLs (see ssl_context); a rejected certificate
        raises TLSProblem."""
        try:
            context = ssl_context(url, verify_ssl=verify_ssl, ca_cert=ca_cert)
        except CertificateFileError as err:
            raise TLSProblem(f"home_assistant.ca_cert: {err}") from None
        register_secret(token)  # whatever the caller did: the token is masked before the first frame
        try:
            ws = await _SameOriginConnect(
                url,
                compression=None,  # deflate costs 13-24 % CPU on a LAN (docs/perf-limits.md §2)
                max_size=max_size,
                ping_interval=None,  # liveness is the app-level ping (it also proves HA's loop runs)
                open_timeout=timeout_s,
                close_timeout=2.0,
                proxy=None,
                ssl=context,
                logger=logging.getLogger("websockets.client"),  # frames redacted by core.logs
            )
        except ssl.SSLCertVerificationError as err:
            why = await explain_rejection(
                err, url, verify_ssl=verify_ssl, ca_cert=ca_cert, timeout_s=timeout_s
            )
            raise TLSProblem(why) from err
        if on_authenticating is not None:
            on_authenticating()
        try:
            async with asyncio.timeout(timeout_s):
                ha_version = await authenticate(ws, token)
        except BaseException:
            await ws.close()
            raise
        conn = cls(ws, ha_version, yield_every=yield_every)
        try:
            await conn.command(
                {"type": "supported_features", "features": {"coalesce_messages": 1}}, timeout_s
            )
        except CommandError as err:  # very old HA: works, just without array frames
            log.info("supported_features not accepted (%s); continuing without coalescing", err)
        except BaseException:
            await conn.close()
            raise
        return conn

    # -- sending ---------------------------------------------------------------------------

    async def _send(
        self, msg: JsonDict, before_send: Callable[[int], None] | None = None
    ) -> asyncio.Future[JsonDict]:
        """Allocate the id and write the frame under one lock; return the reply's future."""
        if self._closed.done():
            raise self._closed.result()
        future: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        async with self._lock:
            msg_id = self._next_id
            self._next_id += 1
            # Registered before the write: the reply (or a first event) may be read before send() returns.
            self._pending[msg_id] = future
            if before_send is not None:
                before_send(msg_id)
            self.stats.commands += 1
            try:
                await self.ws.send(orjson.dumps({"id": msg_id, **msg}), text=True)
            except ConnectionClosed as err:
                self._pending.pop(msg_id, None)
                raise ConnectionLost(f"connection closed while sending: {err}") from None
        return future

    async def request(self, msg: JsonDict, timeout_s: float | None = None) -> JsonDict:
        """Send one message and return HA's raw reply (a result or a pong)."""
        future = await self._send(msg)
        async with asyncio.timeout(timeout_s):
            return await future

    async def command(self, msg: JsonDict, timeout_s: float | None = None) -> Any:
        """Send a command and return its `result`; raises CommandError on success=false."""
        reply = await self.request(msg, timeout_s)
        if reply.get("success") is not True:
            raise _command_error(reply)
        return reply.get("result")

    async def subscribe(self, event_type: str, handler: EventHandler, timeout_s: float | None = None) -> int:
        """subscribe_events; `handler` gets each event's `event` object. Returns the subscription id."""
        sub_ids: list[int] = []

        def register(msg_id: int) -> None:
            sub_ids.append(msg_id)
            self._handlers[msg_id] = handler

        future = await self._send({"type": "subscribe_events", "event_type": event_type}, register)
        try:
            async with asyncio.timeout(timeout_s):
                reply = await future
            if reply.get("success") is not True:
                raise _command_error(reply)  # HA's message says why (e.g. a non-admin token)
        except BaseException:
            self._handlers.pop(sub_ids[0], None)
            raise
        return sub_ids[0]

    async def ping(self, timeout_s: float) -> float:
        """Round-trip time of one ping; raises TimeoutError when no pong comes in time."""
        started = time.monotonic()
        await self.request({"type": "ping"}, timeout_s)
        return time.monotonic() - started

    # -- reading ---------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        reason: HAError = ConnectionLost("connection closed")
        try:
            await self._read_frames()
        except ConnectionClosed as err:
            reason = self._close_reason or ConnectionLost(f"connection closed by server ({err})")
        except HAError as err:
            reason = err
        except asyncio.CancelledError:
            reason = self._close_reason or ConnectionLost("closed by client")
            raise
        except Exception as err:  # a bug must end this connection, not leave a dead reader behind
            log.exception("HA reader failed")
            reason = ConnectionLost(f"reader failed: {err!r}")
        finally:
            self._finish(reason)

    async def _read_frames(self) -> None:
        recv, loads, dispatch, stats = self.ws.recv, orjson.loads, self._dispatch, self.stats
        since_yield = 0
        while True:
            data = await recv(decode=False)
            stats.frames += 1
            try:
                msg = loads(data)
            except orjson.JSONDecodeError:
                stats.invalid_json += 1
                self._ratelog.warning("json", "HA sent a frame that is not JSON: %s", _preview(data))
                # The stream can no longer be trusted to be complete: reconnect, and let the
                # back-fill recover whatever that frame carried.
                raise ProtocolViolation("received invalid JSON from Home Assistant") from None
            if type(msg) is list:
                for item in msg:
                    dispatch(item)
                since_yield += len(msg)
            else:
                dispatch(msg)
                since_yield += 1
            if since_yield >= self._yield_every:
                since_yield = 0
                # websockets' recv() does not yield while data is buffered: let the GUI breathe.
                await asyncio.sleep(0)

    def _dispatch(self, msg: Any) -> None:
        self.stats.messages += 1
        if type(msg) is not dict:
            self._unexpected("not a JSON object", msg)
            return
        kind, msg_id = msg.get("type"), msg.get("id")
        if type(msg_id) is not int and kind in ("event", "result", "pong"):
            # A list id is unhashable (it crashed the reader) and 1.0 would pass for 1: HA only
            # ever sends integers, so anything else is counted, never routed.
            self._unexpected("id is not an integer", msg)
            return
        if kind == "event":
            handler = self._handlers.get(msg_id)  # type: ignore[arg-type]
            if handler is None:
                self._unexpected("event for an unknown subscription", msg)
                return
            self.stats.events += 1
            try:
                handler(msg.get("event"))
            except Exception:
                self.stats.handler_errors += 1
                log.exception("HA event handler failed")
        elif kind == "result" or kind == "pong":
            future = self._pending.pop(msg_id, None)  # type: ignore[arg-type]
            if future is None:
                self._unexpected("reply to no pending command", msg)
            elif not future.done():
                future.set_result(msg)
        else:
            self._unexpected("unknown message type", msg)

    def _unexpected(self, why: str, msg: object) -> None:
        self.stats.unexpected += 1
        self._ratelog.warning(why, "unexpected message from HA (%s): %s", why, _preview(msg))

    def _finish(self, reason: HAError) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(reason)
        self._pending.clear()
        self._handlers.clear()
        if not self._closed.done():
            self._closed.set_result(reason)

    # -- closing ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.done()

    async def wait_closed(self) -> HAError:
        """Wait until the connection ends; return why."""
        return await asyncio.shield(self._closed)

    async def close(self, reason: str = "closed by client") -> None:
        """Close the socket (at most close_timeout when HA stopped reading) and stop the reader."""
        if self._close_reason is None:
            self._close_reason = ConnectionLost(reason)
        try:
            await self.ws.close()
        except Exception as err:
            log.debug("closing the HA socket failed: %s", err)  # redacted by core.logs
        if not self._reader.done():
            self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
