"""One spec is all an engine needs: a small engine defined here, with no other file changed, is
started and stopped in dependency order, appears in health, /api/v1/health/services, the Services
tab and the Dependencies diagram, and restarts through the Admin API (its dependants with it)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp

from app.tabs.dependencies_tab import build_flow
from core.api import SPEC as API
from core.deps import Deps
from core.engine import EngineRole, EngineSpec, EngineState, EngineStatus
from core.engines import default_specs
from core.health import Health
from core.pipeline import SPEC as PIPELINE
from core.runtime import Runtime
from tests.gui_conftest import make_gui_config, running_session, wait_until

JOURNAL: list[tuple[str, bool]] = []  # (event, was the pipeline running at that moment)


class Heartbeat:
    """A real (tiny) engine: beats once a second and says how often it has."""

    name = "heartbeat"

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._task: asyncio.Task[None] | None = None
        self._started_at: float | None = None
        self.beats = 0
        self.broken = False

    async def start(self) -> None:
        JOURNAL.append(("start", self._deps.control.engine(PIPELINE) is not None))
        self._started_at = time.time()
        self._task = asyncio.create_task(self._beat())

    async def stop(self) -> None:
        JOURNAL.append(("stop", self._deps.control.engine(PIPELINE) is not None))
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _beat(self) -> None:
        while True:
            self.beats += 1
            await asyncio.sleep(1.0)

    def status(self) -> EngineStatus:
        state = EngineState.FAILED if self.broken else EngineState.RUNNING
        return EngineStatus(self.name, state, detail=f"{self.beats} beats", started_at=self._started_at,
                            rates={"beats_per_s": 1.0}, counters={"beats": self.beats})  # fmt: skip


async def _build(deps: Deps) -> Heartbeat:
    return Heartbeat(deps)


HEARTBEAT: EngineSpec[Heartbeat] = EngineSpec(
    name="heartbeat", build=_build, label="Heartbeat", role=EngineRole.SERVICE,
    after=(PIPELINE.name,), logger="tests.heartbeat",
)  # fmt: skip


async def _admin(rt: Runtime, method: str, path: str) -> tuple[int, Any]:
    api = rt.engine(API)
    assert api is not None and api.keys is not None
    headers = {"Authorization": f"Bearer {api.keys.admin_api_key}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, api.base_url + path, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_an_engine_with_one_spec_is_everywhere(qapp: Any, tmp_path: Path, autostart_path: Path) -> None:
    JOURNAL.clear()
    config = make_gui_config(tmp_path)
    runtime = Runtime(config, specs=(*default_specs(), HEARTBEAT))
    async with running_session(qapp, config, autostart_path, runtime=runtime) as session:
        rt = session.runtime
        first = rt.engine(HEARTBEAT)
        assert first is not None and JOURNAL == [("start", True)]  # started after the pipeline
        assert rt.health().engine("heartbeat") is Health.HEALTHY

        services = session.window.tab_by_key["services"]
        services.refresh()
        assert services.cards["heartbeat"].title.text() == "Heartbeat"
        assert services.cards["heartbeat"].restart.isVisibleTo(services)
        flow = build_flow(rt)
        assert flow.node("engine:heartbeat").state == "running"
        assert flow.edge("sqlite", "engine:heartbeat").label == "1.0 /s"  # it starts after the pipeline

        status, body = await _admin(rt, "GET", "/api/v1/health/services")
        assert status == 200
        assert {"name": "heartbeat", "state": "running"}.items() <= next(
            s for s in body["services"] if s["name"] == "heartbeat"
        ).items()

        status, body = await _admin(rt, "POST", "/api/v1/services/heartbeat/restart")
        assert status == 200 and body["state"] == "running"
        assert rt.engine(HEARTBEAT) is not first and JOURNAL[-2:] == [("stop", True), ("start", True)]

        await rt.restart_engine(PIPELINE.name)  # its dependency restarts: it is rewired too
        assert JOURNAL[-2:] == [("stop", True), ("start", True)]
        third = rt.engine(HEARTBEAT)
        assert third is not None
        third.broken = True
        assert rt.health().engine("heartbeat") is Health.DEGRADED  # not critical: degraded, not unhealthy
        assert rt.health().status is Health.DEGRADED
        await wait_until(lambda: third.beats >= 1, 5)
    assert JOURNAL[-1] == ("stop", True)  # stopped before the pipeline it depends on
