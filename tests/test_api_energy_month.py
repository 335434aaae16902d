"""Today, yesterday by the same time and this month so far in the energy API.

The answers are built from analyses of hand-computed meters (1 kWh an hour at 0.5 EUR/kWh, Berlin,
no grid carbon data), so every value is known in advance and each unknown one must be null, not 0;
then over real HTTP against a real runtime (demo home, store, energy engine, API).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.api import SPEC as API
from core.api.routes_energy_summary import month_flat_json, routes, summary_json
from core.config import ApiConfig, EnergyConfig
from core.energy import SPEC as ENERGY
from core.energy.analysis import analyse
from core.energy.model import EnergySnapshot
from core.runtime import Runtime
from tests.runtime_harness import running_runtime, wait_for
from tests.test_energy_month import HISTORY, inputs

SCHEMAS = {r.path: r.response for r in routes()}
SUMMARY, MONTH = "/api/v1/energy/summary", "/api/v1/ha/energy/month"


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    """The subset of OpenAPI 3.0 schemas these routes use: objects (every key, no others), arrays,
    strings, numbers, and `nullable`."""
    if value is None:
        return bool(schema.get("nullable"))
    kind = schema["type"]
    if kind == "object":
        props = schema["properties"]
        return isinstance(value, dict) and set(value) == set(props) and all(
            conforms(value[k], props[k]) for k in props
        )  # fmt: skip
    if kind == "array":
        return isinstance(value, list) and all(conforms(v, schema["items"]) for v in value)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def month_of(first: datetime, price_gap: datetime | None = None) -> EnergySnapshot:
    return analyse(inputs(first, price_gap))


def test_the_flat_month_is_the_snapshots_month_with_units_and_nulls() -> None:
    snap = month_of(HISTORY)
    m = snap.glance.month
    assert m is not None
    flat = month_flat_json(snap)
    assert conforms(flat, SCHEMAS[MONTH])
    assert flat["kwh"] == m.kwh == pytest.approx(52.0) and flat["unit"] == "kWh"
    assert flat["cost"] == m.cost == pytest.approx(26.0) and flat["currency"] == "EUR"
    # No grid carbon data and no solar or battery meter: null, not 0.
    assert flat["carbon_kg"] is None and flat["home_kwh"] is None
    assert flat["unknown_hours"] == 0 and flat["since"] is None
    assert flat["start"] == "2025-05-31T22:00:00Z"  # 1 June, 00:00 in Berlin
    assert flat["as_of"] == "2025-06-03T02:00:00Z"
    assert flat["reason"] == "no known grid carbon"


def test_the_hours_before_the_data_begins_are_reported_not_counted() -> None:
    snap = month_of(datetime(2025, 6, 2, 0, 0, tzinfo=UTC))
    flat = month_flat_json(snap)
    assert conforms(flat, SCHEMAS[MONTH])
    assert flat["kwh"] == pytest.approx(26.0) and flat["unknown_hours"] == pytest.approx(26.0)
    assert flat["since"] == "2025-06-02T00:00:00Z" and flat["start"] == "2025-05-31T22:00:00Z"
    assert "data begins 2025-06-02 00:00 UTC" in flat["reason"] and "26.00 h" in flat["reason"]


def test_an_hour_without_a_price_makes_the_cost_null_not_smaller() -> None:
    flat = month_flat_json(month_of(HISTORY, price_gap=datetime(2025, 6, 1, 12, 0, tzinfo=UTC)))
    assert conforms(flat, SCHEMAS[MONTH])
    assert flat["kwh"] == pytest.approx(52.0) and flat["cost"] is None
    assert "some consumption has no known price" in flat["reason"]


def test_the_summary_spans_are_local_days_and_the_local_month() -> None:
    snap = month_of(HISTORY)
    g, body = snap.glance, summary_json(snap)
    assert conforms(body, SCHEMAS[SUMMARY])
    assert body["time_zone"] == "Europe/Berlin" and body["currency"] == "EUR" and body["unit"] == "kWh"
    today, yesterday, month = body["today"], body["yesterday"], body["month"]
    # Now is 04:00 on 3 June in Berlin: today from 00:00, yesterday 00:00-04:00 on the 2nd.
    assert (today["start"], today["end"]) == ("2025-06-02T22:00:00Z", "2025-06-03T02:00:00Z")
    assert (yesterday["start"], yesterday["end"]) == ("2025-06-01T22:00:00Z", "2025-06-02T02:00:00Z")
    assert (today["kwh"], today["cost"], today["carbon_kg"]) == (g.kwh, g.cost, None)
    assert today["kwh"] == pytest.approx(4.0) and today["cost"] == pytest.approx(2.0)
    assert (yesterday["kwh"], yesterday["cost"]) == (g.yesterday_kwh, g.yesterday_cost)
    assert yesterday["kwh"] == pytest.approx(4.0) and yesterday["carbon_kg"] is None
    assert month["start"] == "2025-05-31T22:00:00Z" and month["end"] == today["end"]
    assert month["kwh"] == pytest.approx(52.0) and month["carbon_kg"] is None


# -- over HTTP ------------------------------------------------------------------------------------


async def _get(runtime: Runtime, path: str) -> tuple[int, Any]:
    server = runtime.engine(API)
    assert server is not None and server.port is not None
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{server.port}{path}") as r:
        return r.status, await r.json()


def _refreshes(runtime: Runtime) -> int:
    engine = runtime.engine(ENERGY)
    return 0 if engine is None else int(engine.status().counters["refreshes"])


async def test_the_routes_answer_the_engines_snapshot(tmp_path: Path) -> None:
    api = ApiConfig(enabled=True, port=0)
    energy = EnergyConfig(refresh_s=3600, time_zone="UTC")
    async with running_runtime(tmp_path, api=api, energy=energy) as runtime:
        # The engine's own first analysis; the next is an hour away, so the snapshot stays put.
        await wait_for(lambda: _refreshes(runtime) >= 1, "the energy engine's first analysis")
        engine = runtime.engine(ENERGY)
        assert engine is not None and engine.snapshot is not None
        snap = engine.snapshot
        m = snap.glance.month
        assert m is not None

        status, flat = await _get(runtime, MONTH)
        assert status == 200 and conforms(flat, SCHEMAS[MONTH])
        assert flat["as_of"] == summary_json(snap)["computed_at"]
        assert (flat["kwh"], flat["cost"], flat["carbon_kg"], flat["home_kwh"]) == (
            m.kwh, m.cost, m.carbon_kg, m.home_kwh,
        )  # fmt: skip
        assert flat["unknown_hours"] == m.unknown_hours and flat["currency"] == snap.currency == "EUR"
        # The demo home has a roof: its own use (grid + solar - export) is claimed apart.
        assert snap.meters.solar and flat["home_kwh"] is not None
        # The demo's prices and grid carbon do not reach back to the 1st: those totals are null
        # and said why, or, when everything is known, there is no reason.
        known = None not in (m.kwh, m.cost, m.carbon_kg) and m.unknown_hours == 0 and m.since is None
        assert (flat["reason"] is None) == known
        assert m.cost is not None or "price" in flat["reason"]

        status, body = await _get(runtime, SUMMARY)
        assert status == 200 and conforms(body, SCHEMAS[SUMMARY])
        assert body == summary_json(snap)
        assert body["month"]["kwh"] == flat["kwh"] and body["month"]["start"] == flat["start"]


@pytest.mark.parametrize("path", [SUMMARY, MONTH])
async def test_a_disabled_energy_engine_answers_503(tmp_path: Path, path: str) -> None:
    api = ApiConfig(enabled=True, port=0)
    async with running_runtime(tmp_path, api=api, energy=EnergyConfig(enabled=False)) as runtime:
        status, body = await _get(runtime, path)
        assert status == 503 and "energy engine is not running" in body["detail"]
