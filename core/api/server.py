"""The embedded REST server (engine "api"): aiohttp in the app's own event loop.

Routes come from the routes_* modules as `Route` records; this module binds them, wraps each
handler with auth and validation, and serves them through an AppRunner/TCPSite pair.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from core.api import (
    routes_admin,
    routes_analytics,
    routes_data,
    routes_energy,
    routes_energy_summary,
    routes_ha,
    routes_monitoring,
    routes_sources,
    routes_sports,
)
from core.api.auth import authorize, bearer_token, data_key_required, key_matches
from core.api.guards import ClientGone, HeavyGate, host_allowed, require_json
from core.api.http import json_response, make_middleware
from core.api.openapi import openapi_route
from core.api.prom import ApiMetrics
from core.api.protocol import ConnectionGuard, GuardedRunner
from core.api.spec import RequestContext, Route
from core.api.validation import ApiError, BadRequest, parse_body, parse_query
from core.engine import EngineState, EngineStatus
from core.keys import ApiKeys, ensure_keys
from core.logs import redact

if TYPE_CHECKING:
    from core.deps import Deps

_LOGGER = logging.getLogger(__name__)

RATE_WINDOW_S = 10
MAX_BODY_BYTES = 1024 * 1024
SHUTDOWN_TIMEOUT_S = 5.0
BODY_TIMEOUT_S = 10.0  # a client that starts a body must finish it (slowloris on the body)


def all_routes() -> list[Route]:
    routes = [
        *routes_admin.routes(),
        *routes_monitoring.routes(),
        *routes_data.routes(),
        *routes_analytics.routes(),
        *routes_ha.routes(),
        *routes_energy.routes(),
        *routes_energy_summary.routes(),
        *routes_sources.routes(),
        *routes_sports.routes(),
        openapi_route(),
    ]
    # Static paths first: /api/devices/reliability must win over /api/devices/{device_id}.
    return sorted(routes, key=lambda r: "{" in r.path)


class RateMeter:
    """Requests per second over the last few seconds, in one-second buckets."""

    def __init__(self, window_s: int = RATE_WINDOW_S) -> None:
        self._window = window_s
        self._buckets: deque[list[int]] = deque()  # [second, count]

    def mark(self, now: float | None = None) -> None:
        second = int(now if now is not None else time.time())
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += 1
        else:
            self._buckets.append([second, 1])
        self._trim(second)

    def rate(self, now: float | None = None) -> float:
        second = int(now if now is not None else time.time())
        self._trim(second)
        return sum(count for _, count in self._buckets) / self._window

    def _trim(self, second: int) -> None:
        while self._buckets and self._buckets[0][0] <= second - self._window:
            self._buckets.popleft()


class ApiServer:
    name = "api"

    def __init__(self, deps: Deps, *, routes: list[Route] | None = None) -> None:
        self.deps = deps
        self.config = deps.config.api
        self.routes: tuple[Route, ...] = tuple(routes if routes is not None else all_routes())
        self.keys: ApiKeys | None = None
        self.metrics = ApiMetrics(deps)
        self.key_required = True
        self.port: int | None = None
        self.bound_hosts: list[str] = []
        self._runner: web.AppRunner | None = None
        self._started_at: float | None = None
        self._rate = RateMeter()
        self._requests = 0
        self._errors = 0
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._failed = False  # start() failed (port in use, bad key): status says FAILED and why
        self.heavy = HeavyGate()
        self.guard = ConnectionGuard()
        self.client_disconnects = 0

    # -- engine ---------------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            await self._start()
        except OSError as err:
            # The runtime shows "<type>: <text>" in the status, the Services tab and the headless line.
            self._note_start_failure(_start_problem(self.config.host, self.config.port, err))
            raise ListenError(self._last_error or str(err)) from err
        except Exception as err:
            self._note_start_failure(f"{type(err).__name__}: {err}")
            raise

    def _note_start_failure(self, text: str) -> None:
        self._failed = True
        self._last_error = redact(text)
        self._last_error_at = time.time()

    async def _start(self) -> None:
        self._failed = False
        self.keys = ensure_keys(self.deps.config)
        app = self.build_app()
        runner = GuardedRunner(
            app, self.guard, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port, reuse_address=True)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.bound_hosts = [str(addr[0]) for addr in runner.addresses]
        self.port = int(runner.addresses[0][1])
        self.key_required = data_key_required(self.bound_hosts)
        if "*" in self.config.cors_origins and not self.key_required:
            _LOGGER.warning('[api] cors_origins "*" ignored: no key is asked for on loopback')
        self._started_at = time.time()
        _LOGGER.info(
            "API listening on %s (data key %s)",
            self.base_url,
            "required" if self.key_required else "not required on loopback",
            extra={"fields": {"hosts": self.bound_hosts, "port": self.port}},
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            _LOGGER.info("API stopped")

    def status(self) -> EngineStatus:
        running = self._runner is not None
        state = EngineState.RUNNING if running else EngineState.STOPPED
        detail = f"listening on {self.base_url}" if running else ""
        if self._failed and not running:
            state, detail = EngineState.FAILED, self._last_error or "failed to start"
        return EngineStatus(
            self.name,
            state,
            detail=detail,
            started_at=self._started_at,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            errors=self._errors,
            rates={"requests_per_s": self._rate.rate()},
            counters={
                "requests": self._requests,
                "errors": self._errors,
                "client_disconnects": self.client_disconnects,
                "heavy_rejected": self.heavy.rejected,
                **self.guard.counters,
            },
        )

    @property
    def base_url(self) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port if self.port is not None else self.config.port}"

    # -- app ------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[make_middleware(self)], client_max_size=MAX_BODY_BYTES)
        for route in self.routes:
            if route.method == "GET":  # HEAD answers wherever GET does (same checks, no body)
                app.router.add_get(route.path, self._wrap(route), name=route.operation_id)
            else:
                app.router.add_route(route.method, route.path, self._wrap(route), name=route.operation_id)
        return app

    def _wrap(self, route: Route) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            assert self.keys is not None
            authorize(route.access, request.headers.get("Authorization"), self.keys, self.key_required)
            params = parse_query(route.params, request.query, request.match_info)
            if route.body_params:
                params.update(parse_body(route.params, await _read_json(request)))
            ctx = RequestContext(self.deps, self, request, params)
            if route.heavy:
                async with self.heavy.slot():
                    result = await route.handler(ctx)
            else:
                result = await route.handler(ctx)
            if isinstance(result, web.StreamResponse):
                return result
            return json_response(result, status=route.status)

        handle.__name__ = route.operation_id
        return handle

    def cors_origin(self, request: web.Request) -> str | None:
        """The Origin to allow for this request, or None (no CORS headers) when it is not configured."""
        origin = request.headers.get("Origin")
        allowed = self.config.cors_origins
        if not origin or not allowed:
            return None
        if "*" in allowed:
            # Without a key any page could read everything: "*" only counts when a key is required.
            return "*" if self.key_required else None
        return origin if origin in allowed else None

    def host_allowed(self, request: web.Request) -> bool:
        """DNS rebinding guard: the Host header names loopback, an IP, the bound host or an allowed
        name (see core/api/guards.py)."""
        return host_allowed(request.headers.get("Host"), self.config.host, self.config.allowed_hosts)

    def has_key(self, request: web.Request) -> bool:
        """The request carries the data or the admin key (for routes that show more with one)."""
        token = bearer_token(request.headers.get("Authorization"))
        return token is not None and self.keys is not None and key_matches(token, self.keys)

    def may_see_details(self, request: web.Request) -> bool:
        """Open health routes show paths, versions and counts on loopback, or to a key holder."""
        return not self.key_required or self.has_key(request)

    # -- bookkeeping (called by the middleware) -------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests += 1
        self._rate.mark()
        self.metrics.observe_request(method, route, status, seconds)

    def note_client_gone(self) -> None:
        self.client_disconnects += 1

    def note_error(self, err: BaseException) -> None:
        self._errors += 1
        self._last_error = redact(f"{type(err).__name__}: {err}")[:300]
        self._last_error_at = time.time()


class ListenError(OSError):
    """The API could not listen; str() says why and what to change."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cannot listen"


def _start_problem(host: str, port: int, err: OSError) -> str:
    if err.errno in (98, 48, 10048):  # EADDRINUSE: Linux, macOS, Windows
        return f"port {port} on {host} is already in use: stop the other program or set [api] port"
    if err.errno in (99, 49, 10049):  # EADDRNOTAVAIL
        return f"cannot listen on {host}: not an address of this machine ([api] host)"
    return f"cannot listen on {host}:{port}: {err.strerror or err}"


async def _read_json(request: web.Request) -> Any:
    require_json(request.headers.get("Content-Type"))
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            raw = await request.read()
    except TimeoutError:
        detail = f"the body did not arrive within {BODY_TIMEOUT_S:g} s"
        raise ApiError(408, "request_timeout", detail) from None
    except ConnectionError as err:
        raise ClientGone(str(err)) from None
    if not raw.strip():
        raise BadRequest("a JSON object body is required")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise BadRequest(f"the body is not valid JSON: {err}") from None
