"""The HTTP connection layer under the routes: slow clients, a connection cap, JSON for the errors
aiohttp answers before any route or middleware runs (oversized headers, malformed requests).

- A connection must deliver a complete request head within HEADER_TIMEOUT_S of starting one (or of
  connecting): a slowloris client trickling header bytes is closed, counted, logged at INFO.
- At most MAX_CONNECTIONS are open at once; one more gets a JSON 503 with Retry-After and is closed.
- Idle keep-alive connections close after KEEPALIVE_S (aiohttp's own default is an hour).
The body's read timeout is in server.py, where the body is read.

This subclasses aiohttp's RequestHandler and reads a few of its attributes (`_messages`,
`_current_request`, the Server's `_kwargs`); tests/test_api_hardening.py drives every path over
real sockets, so an aiohttp upgrade that changes them fails there, not in production.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

_LOGGER = logging.getLogger("core.api.access")

HEADER_TIMEOUT_S = 10.0
KEEPALIVE_S = 15.0
MAX_CONNECTIONS = 64
RETRY_AFTER_S = 2


def error_body(status: int, detail: str) -> bytes:
    """The JSON every error of this API has; `error` is the status phrase in snake case."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    name = phrase.lower().replace(" ", "_").replace("-", "_")
    return orjson.dumps({"error": name, "detail": detail, "correlation_id": None})


class GuardedRequestHandler(RequestHandler):
    """aiohttp's connection protocol with a head deadline, a cap check and JSON error pages."""

    _guard: ConnectionGuard

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        if len(self._guard.server.connections) > self._guard.max_connections:
            self._guard.count("refused_over_cap")
            _LOGGER.info("connection refused: %d open (cap)", self._guard.max_connections)
            body = error_body(503, f"too many connections (at most {self._guard.max_connections})")
            head = (
                f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: {RETRY_AFTER_S}\r\nConnection: close\r\n\r\n"
            )
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(head.encode("ascii") + body)
            transport.close()
            return
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._messages:  # a complete request head arrived
            self._cancel_head_timer()
        elif self._current_request is None and getattr(self, "_head_timer", None) is None:
            self._arm_head_timer()  # a new request starts on a kept-alive connection

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._head_timer = self._loop.call_later(self._guard.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._messages or self._current_request is not None or self.transport is None:
            return
        self._guard.count("slow_headers_closed")
        _LOGGER.info("closed a connection that sent no complete request head in %.0f s",
                     self._guard.header_timeout_s)  # fmt: skip
        self.transport.close()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Errors aiohttp answers itself (bad request line, oversized headers): JSON like the rest."""
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send an error")
        if status >= 500:
            _LOGGER.error("error handling a request from %s", request.remote, exc_info=exc)
            detail = "internal error; the log has the details"
        else:
            _LOGGER.info("malformed request from %s: %s", request.remote, message or exc)
            detail = str(message or exc or "malformed request")[:300]
        resp = web.Response(status=status, body=error_body(status, detail), content_type="application/json")
        resp.force_close()
        return resp


class ConnectionGuard:
    """The limits for one server and what they caught (shown in the API engine's counters)."""

    def __init__(
        self,
        *,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout_s: float = HEADER_TIMEOUT_S,
        on_count: Callable[[str], None] | None = None,
    ) -> None:
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.counters: dict[str, int] = {"refused_over_cap": 0, "slow_headers_closed": 0}
        self._on_count = on_count
        self.server: web.Server = None  # type: ignore[assignment]  # set by GuardedRunner

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1
        if self._on_count is not None:
            self._on_count(name)


class _GuardedServer(web.Server):
    guard: ConnectionGuard

    def __call__(self) -> RequestHandler:
        handler = GuardedRequestHandler(self, loop=self._loop, **self._kwargs)
        handler._guard = self.guard
        return handler


class GuardedRunner(web.AppRunner):
    """An AppRunner whose connections are GuardedRequestHandlers."""

    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", KEEPALIVE_S)
        super().__init__(app, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        server = _GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            **plain._kwargs,
        )
        server.guard = self.guard
        self.guard.server = server
        return server
