"""/api/v1/integrations against a real runtime in demo mode: the engine is built from the
catalogue, its demo provider server answers in the providers' shapes, and the API reads it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.config import DataSourcesConfig
from core.datasources import SPEC as DATA_SOURCES
from tests.api_live import LiveRuntime, live_config

SECRET = "entsoe-SECRET-token-123"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    config = live_config(tmp_path_factory.mktemp("api_sources"), rate=20.0)
    config = replace(config, data_sources=DataSourcesConfig(entsoe_token=SECRET))
    rt = LiveRuntime(config).start()
    try:
        yield rt
    finally:
        rt.stop()


def statuses(live: LiveRuntime) -> dict[str, dict[str, object]]:
    body = live.get("/api/v1/integrations").json()
    return {s["source"]: s for s in body["integrations"]}


def test_every_demo_source_has_data_soon_after_start(live: LiveRuntime) -> None:
    started = time.monotonic()
    wanted = ("weather", "air_quality", "carbon", "prices", "calendar")
    live.wait_until(lambda: all(statuses(live)[s]["status"] == "ok" for s in wanted), "demo sources", 30.0)
    print(f"demo sources all ok {time.monotonic() - started:.1f} s after the runtime was up")
    found = statuses(live)
    assert set(found) == {"weather", "air_quality", "carbon", "prices", "calendar"}
    assert found["prices"]["provider"] == "awattar" and found["calendar"]["provider"] == "home_assistant"
    assert found["weather"]["data_age_s"] is not None and found["weather"]["next_fetch"] is not None
    body = live.get("/api/v1/integrations").json()
    assert body["location"] == {"latitude": 52.52, "longitude": 13.4, "country": "DE", "origin": "demo"}
    assert live.runtime.engine(DATA_SOURCES) is not None


def test_series_of_prices_in_eur_per_kwh_quarter_hours(live: LiveRuntime) -> None:
    live.wait_until(lambda: statuses(live)["prices"]["status"] == "ok", "prices")
    body = live.get("/api/v1/integrations/prices/series").json()
    price = body["series"]["price"]
    assert price["unit"] == "EUR/kWh" and len(price["slots"]) >= 40
    first = price["slots"][0]
    minutes = (datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"])).seconds / 60
    assert minutes == 15 and 0 < first["value"] < 0.5


def test_current_reading_and_slot(live: LiveRuntime) -> None:
    live.wait_until(lambda: statuses(live)["weather"]["status"] == "ok", "weather")
    body = live.get("/api/v1/integrations/weather/current").json()
    assert body["provider"] == "open_meteo" and isinstance(body["reading"]["temperature"], float)
    slot = body["slots"]["temperature"]
    now = datetime.now(UTC)
    assert slot["unit"] == "°C" and datetime.fromisoformat(slot["start"]) <= now < datetime.fromisoformat(
        slot["end"]
    )


def test_calendar_series_are_events_with_their_summaries(live: LiveRuntime) -> None:
    live.wait_until(lambda: statuses(live)["calendar"]["status"] == "ok", "calendar")
    end = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    body = live.get("/api/v1/integrations/calendar/series", end=end).json()
    family = body["series"]["calendar.family"]  # the demo's school runs and weekend away
    assert family["unit"] == "event" and all(s["value"] == 1 and s["label"] for s in family["slots"])
    week = live.get("/api/v1/integrations/calendar/current").json()["reading"]
    assert {c["entity_id"] for c in week["calendars"]} == {"calendar.family", "calendar.waste_collection"}
    assert week["next"] and all({"start", "summary", "calendar"} <= set(e) for e in week["next"])


def test_bad_requests_and_no_secret_anywhere(live: LiveRuntime) -> None:
    assert live.get("/api/v1/integrations/tides/series").status_code == 400
    bad = live.get(
        "/api/v1/integrations/prices/series", start="2025-11-05T00:00:00Z", end="2025-11-04T00:00:00Z"
    )
    assert bad.status_code == 400
    assert live.post("/api/v1/integrations/prices/test").status_code in (401, 403)  # admin only
    tested = live.post("/api/v1/integrations/carbon/test", live.admin_key)
    assert tested.status_code == 200 and tested.json()["source"] == "carbon"
    for path in ("/api/v1/integrations", "/api/v1/integrations/prices/current", "/api/openapi.json"):
        assert SECRET not in live.get(path).text


def test_events_carry_the_weather_at_their_time(live: LiveRuntime) -> None:
    live.wait_until(lambda: statuses(live)["weather"]["status"] == "ok", "weather")
    reading = live.get("/api/v1/integrations/weather/current").json()["reading"]
    observed = datetime.fromisoformat(reading["observed_at"])
    live.wait_until(lambda: live.stored() > 0, "stored events")
    live.flush()
    since = observed.isoformat()
    events = live.get("/api/v1/events", start=since, limit=20).json()["events"]
    assert events, "events fired after the observation"
    for event in events:  # fired after the observation, within the hour: its reading, not a guess
        assert event["weather_temperature"] == reading["temperature"]
        assert event["weather_condition"] == reading["condition"]
        assert event["weather_wind_speed"] == reading["wind_speed"]
        assert datetime.fromisoformat(event["weather_observed_at"]) == observed
    old = live.get("/api/v1/events", end=(observed - timedelta(hours=2)).isoformat(), limit=5).json()[
        "events"
    ]
    assert all(e["weather_temperature"] is None for e in old)  # before any observation: nulls
    one = live.get(f"/api/v1/events/{events[0]['id']}").json()
    assert one["weather_temperature"] == reading["temperature"]
