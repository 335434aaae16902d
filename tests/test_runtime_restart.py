"""Restarting an engine rewires everything that depends on it, and concurrent restarts of one engine
are refused while one is in progress (never half-done, never orphaned)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from core.api import SPEC as API
from core.config import ApiConfig
from core.ha import SPEC as HA_CLIENT
from core.health import Health
from core.pipeline import SPEC as PIPELINE
from core.runtime import Runtime
from tests.runtime_harness import ha_state, running_runtime, wait_for


async def test_restarting_the_pipeline_rewires_the_ha_client(tmp_path: Path) -> None:
    async with running_runtime(tmp_path) as rt:
        old_pipeline, old_client = rt.engine(PIPELINE), rt.engine(HA_CLIENT)
        assert old_pipeline is not None and old_client is not None
        await wait_for(lambda: old_pipeline.stats.stored > 0, "the first stored events")
        await rt.restart_engine(PIPELINE.name)
        pipeline, client = rt.engine(PIPELINE), rt.engine(HA_CLIENT)
        assert pipeline is not None and pipeline is not old_pipeline
        assert client is not None and client is not old_client  # rebuilt on the new pipeline
        # Events keep being stored by the new pipeline (before: they went to the stopped one).
        await wait_for(lambda: pipeline.stats.stored > 50, "events stored after the restart")
        await wait_for(lambda: ha_state(rt) == "connected", "the HA link")
        await wait_for(lambda: rt.health().status is Health.HEALTHY, "health back to healthy")


async def _restart(http: aiohttp.ClientSession, rt: Runtime, name: str) -> int:
    api = rt.engine(API)
    assert api is not None and api.keys is not None
    url = f"{api.base_url}/api/v1/services/{name}/restart"
    headers = {"Authorization": f"Bearer {api.keys.admin_api_key}"}
    async with http.post(url, headers=headers) as response:
        body = await response.json()
        assert response.status != 409 or body["error"] == "conflict"
        return response.status


async def test_concurrent_restarts_of_one_engine_answer_409(tmp_path: Path) -> None:
    async with running_runtime(tmp_path, api=ApiConfig(port=0)) as rt:
        await wait_for(lambda: ha_state(rt) == "connected", "the HA link")
        async with aiohttp.ClientSession() as http:
            codes = await asyncio.gather(*(_restart(http, rt, HA_CLIENT.name) for _ in range(6)))
        assert set(codes) <= {200, 409} and codes.count(200) >= 1 and 409 in codes
        await wait_for(lambda: ha_state(rt) == "connected", "the HA link after the restarts")
        await wait_for(lambda: rt.health().status is Health.HEALTHY, "health back to healthy")
        sim = rt.simulator
        assert sim is not None
        await wait_for(lambda: sim.connection_count == 1, "one connected client (no orphans)")
