"""The few REST endpoints clients probe: /api/, /api/config, /api/states (Bearer token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from core.ha.simulator.server import Simulator

RestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_routes(app: web.Application, sim: Simulator) -> None:
    """Register the REST routes of `sim` on `app`."""

    def guarded(body: Callable[[], bytes]) -> RestHandler:
        async def handler(request: web.Request) -> web.StreamResponse:
            if request.headers.get("Authorization") != f"Bearer {sim.config.token}" or sim.auth_rejected():
                return web.Response(status=401, text="401: Unauthorized")
            return web.Response(body=body(), content_type="application/json")

        return handler

    app.router.add_get("/api/", guarded(lambda: b'{"message":"API running."}'))
    app.router.add_get("/api/config", guarded(sim.config_json))
    app.router.add_get("/api/states", guarded(sim.states_json))
