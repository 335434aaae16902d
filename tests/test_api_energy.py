"""The energy API over real HTTP against a real runtime (demo home, store, energy engine, API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from core.api import SPEC as API
from core.config import ApiConfig, EnergyConfig
from core.energy import SPEC as ENERGY
from core.energy.states import SWITCHABLE_DOMAINS
from core.ha.simulator.energy_home import EXPORT_ID, SOLAR_ENERGY_ID
from core.runtime import Runtime
from tests.runtime_harness import running_runtime, wait_for

ENERGY_CONFIG = EnergyConfig(refresh_s=3600, time_zone="UTC")


def _synced(runtime: Runtime) -> bool:
    info = runtime.connection_info()
    return info is not None and info.synced


async def _get(runtime: Runtime, path: str) -> tuple[int, Any]:
    server = runtime.engine(API)
    assert server is not None and server.port is not None
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{server.port}{path}") as r:
        return r.status, await r.json()


async def test_energy_endpoints_answer_from_the_demo_home(tmp_path: Path) -> None:
    api = ApiConfig(enabled=True, port=0)
    async with running_runtime(tmp_path, api=api, energy=ENERGY_CONFIG) as runtime:
        await wait_for(lambda: _synced(runtime), "the HA client to sync with the demo home")
        engine = runtime.engine(ENERGY)
        assert engine is not None
        await engine.refresh()

        status, body = await _get(runtime, "/api/v1/energy/consumption?resolution=15m")
        assert status == 200, body
        assert body["meters"]["source"] == "energy dashboard" and body["currency"] == "EUR"
        assert body["slots"] and all(
            set(s) == {"start", "end", "kwh", "home_kwh", "cost", "carbon_kg"} for s in body["slots"]
        )
        # The demo home has a roof: its own use (grid import + solar - export) is metered apart, and
        # a slot's use is known only where its grid import is.
        assert body["meters"]["solar"] == [SOLAR_ENERGY_ID] and body["meters"]["grid_export"] == [EXPORT_ID]
        assert body["home_usage_metered"] is True and body["total_home_kwh"] is not None
        known = [s for s in body["slots"] if s["home_kwh"] is not None]
        assert known and all(s["kwh"] is not None for s in known)
        assert body["unknown_slots"] <= len(body["slots"])  # before the app started nothing is known

        status, flat = await _get(runtime, "/api/v1/ha/energy/cheapest-window?hours=2")
        assert status == 200
        assert set(flat) == {"start", "end", "average_price", "currency", "unit", "reason"}
        # Prices come from the data sources engine's demo provider: the window is at most the average.
        snap = engine.snapshot
        assert snap is not None and flat["unit"] == "EUR/kWh" and flat["start"] is not None
        future = [p.value for p in snap.prices if p.end > snap.computed_at and p.value is not None]
        assert flat["average_price"] <= sum(future) / len(future)

        status, corr = await _get(runtime, "/api/v1/energy/correlation")
        assert status == 200
        # A few seconds of the demo home: switches that changed are listed, none with false confidence.
        assert all(s["entity_id"].split(".")[0] in SWITCHABLE_DOMAINS for s in corr["switches"])
        assert all(not s["confident"] or s["events"] >= 8 for s in corr["switches"])
        assert corr["correlated_with"] == "home usage"  # the demo home has solar: not its grid import

        status, recs = await _get(runtime, "/api/v1/energy/recommendations")
        assert status == 200
        assert [a["name"] for a in recs["appliances"]] == ["dishwasher", "washing_machine", "ev_charge"]

        status, bad = await _get(runtime, "/api/v1/ha/energy/cheapest-window?hours=0")
        assert status == 400
        status, bad = await _get(
            runtime, "/api/v1/energy/consumption?start=2025-01-02T00:00:00Z&end=2025-01-01T00:00:00Z"
        )
        assert status == 400 and "after" in bad["detail"]


async def test_disabled_energy_engine_answers_503(tmp_path: Path) -> None:
    api = ApiConfig(enabled=True, port=0)
    async with running_runtime(tmp_path, api=api, energy=EnergyConfig(enabled=False)) as runtime:
        status, _ = await _get(runtime, "/api/v1/energy/recommendations")
        assert status == 503
