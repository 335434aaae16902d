"""One client connection: auth phase, command phase and dispatch (websocket_api http.py/connection.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any, Protocol

import orjson
from aiohttp import WSMsgType, web

from core.ha.simulator import auth, const
from core.ha.simulator.command_table import Command, CommandError, HomeAssistantError, Unauthorized
from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.messages import error_message, result_message
from core.ha.simulator.outbox import Item, Outbox
from core.ha.simulator.schema import Key, SchemaError, is_str, positive_int, validate

_LOGGER = logging.getLogger(__name__)
_CLOSE_TYPES = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)
_CLOSE_TIMEOUT = 1.0
# BASE_COMMAND_MESSAGE_SCHEMA extended by each command's schema; extra keys are not allowed.
_BASE_KEYS = (Key("id", positive_int, required=True), Key("type", is_str, required=True))


class Disconnect(Exception):
    """End the connection; the text is the reason HA would log."""


class ConnectionHost(Protocol):
    """What a connection needs from the server."""

    config: SimulatorConfig
    home: DemoHome
    commands: Mapping[str, Command]
    time_zone: tzinfo

    @property
    def starting(self) -> bool:
        """True between a restart and the end of the start-up burst (get_config says STARTING)."""

    def auth_rejected(self) -> bool: ...
    def attach(self, conn: ClientConnection) -> None: ...
    def detach(self, conn: ClientConnection) -> None: ...
    def note_disconnect(self, reason: str) -> None: ...
    def on_state_subscription(self) -> None: ...
    def history_visible_until(self) -> int: ...
    def recorder_backlog(self) -> int: ...


class ClientConnection:
    """A client; `run()` is the aiohttp handler body."""

    def __init__(self, host: ConnectionHost, request: web.Request) -> None:
        self.host = host
        self._request = request
        self._loop = asyncio.get_running_loop()
        self.ws = web.WebSocketResponse(
            heartbeat=const.HEARTBEAT, max_msg_size=const.MAX_MSG_SIZE, compress=host.config.compress
        )
        self.outbox: Outbox | None = None
        self.last_id = 0
        self.subscriptions: dict[int, Callable[[], None]] = {}
        self._stalled_until = 0.0
        self._reason: str | None = None
        self._killer: asyncio.Task[None] | None = None

    @property
    def authenticated(self) -> bool:
        """True once auth_ok was sent."""
        return self.outbox is not None

    async def run(self) -> web.WebSocketResponse:
        """Serve the connection until either side ends it."""
        try:
            async with asyncio.timeout(10):
                await self.ws.prepare(self._request)
        except (TimeoutError, ConnectionResetError):
            return self.ws
        self.host.attach(self)
        try:
            await self._auth_phase()
            self._start_command_phase()
            await self._command_phase()
        except Disconnect as err:
            self._note(str(err))
        finally:
            await self._cleanup()
        return self.ws

    # -- sending ---------------------------------------------------------------------------------

    def send(self, item: Item) -> None:
        """Queue a message (ignored before auth and after close)."""
        if self.outbox is not None:
            self.outbox.put(item)

    def send_result(self, msg_id: int, payload_json: bytes = b"null") -> None:
        """Queue a success result with an encoded payload."""
        self.send(result_message(msg_id, payload_json))

    def send_error(self, msg_id: Any, code: str, message: str) -> None:
        """Queue an error result."""
        self.send(error_message(msg_id, code, message))

    def subscribe(self, msg_id: int, event_type: str) -> None:
        """Subscribe this connection to an event type under subscription id `msg_id`."""
        assert self.outbox is not None
        self.subscriptions[msg_id] = self.host.home.bus.subscribe(event_type, self.outbox.put, msg_id)

    # -- faults ----------------------------------------------------------------------------------

    def abort(self, reason: str) -> None:
        """Drop the TCP connection without a close frame."""
        self._note(reason)
        if self.outbox is not None:
            self.outbox.close()
        if (transport := self._request.transport) is not None:
            transport.abort()

    def stall(self, seconds: float) -> None:
        """Stop reading (so WS pings go unanswered) and writing for `seconds`."""
        until = self._loop.time() + seconds
        self._stalled_until = max(self._stalled_until, until)
        if self.outbox is not None:
            self.outbox.stalled_until = self._stalled_until
        if (transport := self._request.transport) is not None and not transport.is_closing():
            transport.pause_reading()
        self._loop.call_at(until, self._end_stall)

    def kill(self, reason: str) -> None:
        """Disconnect at once, dropping queued messages (HA's _cancel)."""
        if self._killer is not None:
            return
        self._note(reason)
        if self.outbox is not None:
            self.outbox.close()
        self._killer = asyncio.create_task(self._close_ws())

    # -- phases ----------------------------------------------------------------------------------

    async def _auth_phase(self) -> None:
        config = self.host.config
        await self.ws.send_frame(auth.auth_required(config.ha_version), WSMsgType.TEXT)
        try:
            msg = await self.ws.receive(config.auth_timeout)
        except TimeoutError as err:
            raise Disconnect(f"Did not receive auth message within {config.auth_timeout:g} seconds") from err
        if msg.type in _CLOSE_TYPES:
            raise Disconnect("Received close message during auth phase")
        if msg.type is not WSMsgType.TEXT:
            raise Disconnect("Received non-Text message during auth phase")
        try:
            data = orjson.loads(msg.data)
        except orjson.JSONDecodeError as err:
            raise Disconnect("Received invalid JSON during auth phase") from err
        if (error := auth.schema_error(data)) is not None:
            await self.ws.send_frame(auth.auth_invalid(auth.FORMAT_ERROR_PREFIX + error), WSMsgType.TEXT)
            raise Disconnect("Auth message incorrectly formatted")
        # api_password is in the schema but no longer accepted: it falls through to the generic error.
        if self.host.auth_rejected() or data.get("access_token") != config.token:
            await self.ws.send_frame(auth.auth_invalid(auth.INVALID_TOKEN), WSMsgType.TEXT)
            raise Disconnect("Invalid access token or password")
        await self.ws.send_frame(auth.auth_ok(config.ha_version), WSMsgType.TEXT)

    def _start_command_phase(self) -> None:
        self.outbox = Outbox(self.ws, self.host.config.pending_peak_time, self.kill)
        self.outbox.stalled_until = self._stalled_until
        self.outbox.start()
        # HA raises aiohttp's drain limit once the client is trusted (_async_increase_writer_limit).
        if (writer := self.ws._writer) is not None:
            writer._limit = const.WRITER_LIMIT_AFTER_AUTH

    async def _command_phase(self) -> None:
        ws = self.ws
        while not ws.closed:
            msg = await ws.receive()
            if self._stalled_until:
                await self._wait_stall()
            if msg.type in _CLOSE_TYPES:
                break
            if msg.type is WSMsgType.BINARY:
                if not msg.data:
                    raise Disconnect("Received invalid binary message.")
                _LOGGER.debug("simulator: binary message for non-existing handler %s", msg.data[0])
                continue
            if msg.type is not WSMsgType.TEXT:
                raise Disconnect("Received non-Text message.")
            try:
                data = orjson.loads(msg.data)
            except orjson.JSONDecodeError as err:
                raise Disconnect("Received invalid JSON.") from err
            if type(data) is not list:
                self.handle(data)
                continue
            for item in data:
                self.handle(item)

    def handle(self, msg: Any) -> None:
        """Dispatch one command (ActiveConnection.async_handle, 2024+ id rules)."""
        if (
            type(msg) is not dict
            or not (cur_id := msg.get("id"))
            or type(cur_id) is not int
            or not (type_ := msg.get("type"))
            or type(type_) is not str
        ):
            # The id is echoed as sent (null when missing); a non-object message gets id 0.
            echo = msg.get("id") if isinstance(msg, dict) else 0
            self.send_error(echo, const.ERR_INVALID_FORMAT, "Message incorrectly formatted.")
            return
        if cur_id <= self.last_id:
            self.send_error(cur_id, const.ERR_ID_REUSE, "Identifier values have to increase.")
            return
        command = self.host.commands.get(type_)
        if command is None:
            # last_id is not advanced: an id rejected as unknown may be used again.
            self.send_error(cur_id, const.ERR_UNKNOWN_COMMAND, "Unknown command.")
            return
        try:
            command.handler(self, validate(msg, (*_BASE_KEYS, *command.keys)))
        except Exception as err:  # every handler error becomes an error result, as in HA
            self._handle_exception(cur_id, err)
        self.last_id = cur_id

    def _handle_exception(self, msg_id: int, err: Exception) -> None:
        if isinstance(err, SchemaError):
            self.send_error(msg_id, const.ERR_INVALID_FORMAT, str(err))
        elif isinstance(err, Unauthorized):
            self.send_error(msg_id, const.ERR_UNAUTHORIZED, "Unauthorized")
        elif isinstance(err, CommandError):
            self.send_error(msg_id, err.code, err.message)
        elif isinstance(err, HomeAssistantError) and str(err):
            self.send_error(msg_id, const.ERR_UNKNOWN_ERROR, str(err))
        else:
            _LOGGER.exception("simulator: error handling message %s", msg_id, exc_info=err)
            self.send_error(msg_id, const.ERR_UNKNOWN_ERROR, "Unknown error")

    # -- teardown --------------------------------------------------------------------------------

    async def _wait_stall(self) -> None:
        while (remaining := self._stalled_until - self._loop.time()) > 0:
            await asyncio.sleep(remaining)

    def _end_stall(self) -> None:
        if self._loop.time() + 0.001 < self._stalled_until:
            return  # a longer stall was requested meanwhile; its own timer ends it
        self._stalled_until = 0.0
        if (transport := self._request.transport) is not None and not transport.is_closing():
            transport.resume_reading()

    async def _cleanup(self) -> None:
        for unsubscribe in self.subscriptions.values():
            unsubscribe()
        self.subscriptions.clear()
        if self.outbox is not None:
            self.outbox.close()
            await self.outbox.wait_closed(_CLOSE_TIMEOUT)
        await self._close_ws()
        self.host.detach(self)
        if self._reason is not None:
            self.host.note_disconnect(self._reason)
            _LOGGER.info("simulator: client disconnected: %s", self._reason)

    async def _close_ws(self) -> None:
        """Close with a close frame; abort the TCP connection if that cannot finish quickly."""
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self.ws.close()
        except (TimeoutError, ConnectionError, RuntimeError):
            if (transport := self._request.transport) is not None:
                transport.abort()

    def _note(self, reason: str) -> None:
        if self._reason is None:
            self._reason = reason
