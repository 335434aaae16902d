"""The data sources engine end to end: real local provider servers, a real sources.db, restarts,
outages, rate limits, the breaker and the publication schedule."""

from __future__ import annotations

import asyncio
import os
import random
import stat
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest_asyncio

from core.config import DataSourcesConfig
from core.datasources import DEMO_LOCATION, resolve_location
from core.datasources.demo_server import DEMO_TOKEN, DemoProviderServer
from core.datasources.engine import DataSourcesEngine
from core.datasources.location import ha_rest_location
from core.datasources.model import AuthError, NotPublished, ProviderError, RateLimited, Source, SourceState
from core.datasources.providers.ha_calendar import HaCalendar
from core.datasources.schedule import Breaker, Tuning, next_price_fetch
from core.datasources.store import SCHEMA_VERSION
from core.slots import SeriesKind
from core.weather import SOURCES_DB
from tests.provider_server import ProviderServer, Reply, fixture, provider_server

__all__ = ["provider_server"]

FAST = Tuning(backoff_initial_s=0.05, backoff_max_s=0.2, jitter=0.0, breaker_failures=3, breaker_open_s=30.0)


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Wait for a condition (not a timing assertion: the timeout only bounds a broken test)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@pytest_asyncio.fixture
async def demo() -> AsyncIterator[str]:
    server = DemoProviderServer()
    url = await server.start()
    yield url
    await server.stop()


def settings(url: str, **changes: Any) -> DataSourcesConfig:
    base = DataSourcesConfig(
        weather_url=url,
        air_quality_url=url,
        carbon_url=url,
        prices_url=url,
        carbon_provider="electricity_maps",
        electricity_maps_token="demo-local-token",
        timeout_s=2.0,
    )
    return replace(base, **changes)


def make(tmp_path: Path, cfg: DataSourcesConfig, **kw: Any) -> DataSourcesEngine:
    return DataSourcesEngine(
        cfg, tmp_path, DEMO_LOCATION, tuning=kw.pop("tuning", FAST), rng=random.Random(1), **kw
    )


def ok(engine: DataSourcesEngine, *sources: Source) -> Callable[[], bool]:
    return lambda: all(engine.source_status(s).state is SourceState.OK for s in sources)


PRICES_ONLY = {"weather_provider": "off", "air_quality_provider": "off", "carbon_provider": "off"}
ALL = (Source.WEATHER, Source.AIR_QUALITY, Source.CARBON, Source.PRICES)


async def test_every_source_fetches_and_serves_slots_from_memory(tmp_path: Path, demo: str) -> None:
    engine = make(tmp_path, settings(demo))
    await engine.start()
    try:
        await until(ok(engine, *ALL))
        now = datetime.now(UTC)
        prices = engine.slots(SeriesKind.PRICE, now, now + timedelta(hours=6))
        assert prices and {s.minutes for s in prices} == {15} and prices[0].unit == "EUR/kWh"
        assert prices[0].covers(now) or prices[0].start > now
        assert all(0.0 < (s.value or 0) < 0.5 for s in prices)  # EUR/kWh, not EUR/MWh
        temps = engine.slots(SeriesKind.TEMPERATURE, now - timedelta(hours=1), now + timedelta(hours=24))
        assert len(temps) >= 24 and temps[0].unit == "°C"
        assert engine.slots(SeriesKind.CARBON, now - timedelta(hours=3), now)[0].unit == "gCO2/kWh"
        assert engine.current(Source.WEATHER)["temperature"] is not None
        status = engine.source_status(Source.PRICES)
        assert status.provider == "awattar" and status.next_fetch is not None and status.next_fetch > now
        assert engine.source_status(Source.CALENDAR).state is SourceState.DISABLED
        assert engine.status().state.value == "running"
    finally:
        await engine.stop()
    db = tmp_path / SOURCES_DB
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


async def test_restart_serves_the_cache_without_refetching(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    demo = DemoProviderServer()
    url = await demo.start()
    try:
        first = make(
            tmp_path, settings(url, air_quality_provider="off", carbon_provider="off", price_provider="off")
        )
        await first.start()
        await until(ok(first, Source.WEATHER))
        before = first.slots(
            SeriesKind.TEMPERATURE, datetime.now(UTC), datetime.now(UTC) + timedelta(hours=12)
        )
        await first.stop()
    finally:
        await demo.stop()
    # The provider is now unreachable; a new engine on the same data dir still has the data.
    cfg = settings(
        provider_server.url, air_quality_provider="off", carbon_provider="off", price_provider="off"
    )
    second = make(tmp_path, cfg)
    await second.start()
    try:
        status = second.source_status(Source.WEATHER)
        assert status.state is SourceState.OK and status.data_age_s is not None and status.data_age_s >= 0
        assert status.next_fetch is not None and status.next_fetch > datetime.now(UTC) + timedelta(minutes=5)
        now = datetime.now(UTC)
        assert second.slots(SeriesKind.TEMPERATURE, now, now + timedelta(hours=12)) == before
        # the weather at an event's time, from the observations kept in sources.db
        assert second.weather_at(now)["weather_temperature"] is not None
        assert second.weather_at(now - timedelta(hours=3))["weather_temperature"] is None  # none then
        await asyncio.sleep(0.3)
        assert provider_server.seen == []  # nothing refetched
        assert await second.store.schema_version() == SCHEMA_VERSION
    finally:
        await second.stop()


async def test_outage_shows_its_age_and_never_stalls_the_loop(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    demo = DemoProviderServer()
    url = await demo.start()
    only_weather = {"air_quality_provider": "off", "carbon_provider": "off", "price_provider": "off"}
    try:
        engine = make(tmp_path, settings(url, **only_weather))
        await engine.start()
        await until(ok(engine, Source.WEATHER))
        await engine.stop()
    finally:
        await demo.stop()
    # Restart against a provider that first hangs (until the timeout), then answers 500.
    provider_server.on("/v1/forecast", Reply(hang=True), Reply(b"{}", 500))
    engine = make(tmp_path, settings(provider_server.url, timeout_s=0.5, **only_weather))
    ticks = 0

    async def ingest_like() -> None:  # stands for the ingest path: must keep running throughout
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(ingest_like())
    await engine.start()
    try:
        engine.fetch_soon(Source.WEATHER)
        await until(lambda: engine.source_status(Source.WEATHER).failures >= 2)
        status = engine.source_status(Source.WEATHER)
        assert status.state is SourceState.STALE  # failing, cached data still served
        assert status.last_error is not None and status.data_age_s is not None and status.data_age_s > 0
        now = datetime.now(UTC)
        assert engine.slots(SeriesKind.TEMPERATURE, now, now + timedelta(hours=6))  # still served
        assert engine.status().state.value == "degraded" and "weather" in (engine.status().last_error or "")
        assert ticks > 20  # the loop kept turning while the provider hung
    finally:
        await engine.stop()
        ticker.cancel()


async def test_rate_limit_honours_retry_after(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.on("/v1/forecast", fixture("open_meteo_429.json", 429, **{"Retry-After": "120"}))
    cfg = settings(
        provider_server.url, air_quality_provider="off", carbon_provider="off", price_provider="off"
    )
    engine = make(tmp_path, cfg)
    await engine.start()
    try:
        await until(lambda: engine.source_status(Source.WEATHER).state is SourceState.RATE_LIMITED)
        status = engine.source_status(Source.WEATHER)
        assert status.rate_limited_until is not None
        assert status.rate_limited_until >= datetime.now(UTC) + timedelta(seconds=110)
        assert status.to_dict()["rate_limit"]["limited"] is True
        await asyncio.sleep(0.3)
        assert provider_server.hits("/v1/forecast") == 1  # no retry before Retry-After
    finally:
        await engine.stop()


async def test_not_published_is_waiting_not_an_error(tmp_path: Path, provider_server: ProviderServer) -> None:
    provider_server.on("/api", fixture("entsoe_no_data.xml", 400))
    cfg = settings(
        provider_server.url, **PRICES_ONLY, price_provider="entsoe", entsoe_token="t0k", price_zone="NL"
    )
    engine = make(tmp_path, cfg)
    await engine.start()
    try:
        await until(lambda: engine.source_status(Source.PRICES).state is SourceState.WAITING)
        status = engine.source_status(Source.PRICES)
        assert status.last_error is None and "No matching data" in status.detail and status.failures == 0
    finally:
        await engine.stop()


async def test_the_test_button_fetches_now(tmp_path: Path, demo: str) -> None:
    cfg = settings(demo, weather_provider="off", air_quality_provider="off", price_provider="off")
    engine = make(tmp_path, cfg)
    await engine.start()
    try:
        await until(ok(engine, Source.CARBON))
        first = engine.source_status(Source.CARBON).last_success
        status = await engine.test(Source.CARBON)
        assert status.state is SourceState.OK and status.last_success != first
    finally:
        await engine.stop()


async def test_a_bad_key_is_an_error_and_never_in_the_status(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.on("/v1-beta/gql", fixture("tibber_unauthenticated.json"))
    cfg = settings(provider_server.url, **PRICES_ONLY, price_provider="tibber", tibber_token="tib-SECRET-99")
    engine = make(tmp_path, cfg)
    await engine.start()
    try:
        await until(lambda: engine.source_status(Source.PRICES).state is SourceState.ERROR)
        status = engine.source_status(Source.PRICES)
        assert "UNAUTHENTICATED" in (status.last_error or "")
        assert "tib-SECRET-99" not in repr(status.to_dict())
        assert status.next_fetch is not None and status.next_fetch > datetime.now(UTC) + timedelta(hours=5)
    finally:
        await engine.stop()


# -- schedule and breaker (pure) -------------------------------------------------------------------


def test_breaker_backs_off_then_opens() -> None:
    breaker = Breaker(Tuning(jitter=0.0), random.Random(1))
    now = datetime(2025, 11, 3, 12, tzinfo=UTC)
    delays = [(breaker.failure(ProviderError("x"), now) - now).total_seconds() for _ in range(5)]
    assert delays[:4] == [60, 120, 240, 480] and breaker.is_open(now)
    assert delays[4] == 1800  # open: one trial after 30 min
    assert (breaker.failure(RateLimited("429", 7200), now) - now).total_seconds() == 7200
    assert (breaker.failure(AuthError("401"), now) - now).total_seconds() == 6 * 3600
    breaker.success()
    assert not breaker.is_open(now) and breaker.failures == 0
    assert breaker.failure(NotPublished("204"), now) - now == timedelta(seconds=900) and breaker.failures == 0


def test_price_schedule_follows_publication() -> None:
    morning = datetime(2025, 11, 3, 8, tzinfo=UTC)  # 09:00 CET
    today_only = datetime(2025, 11, 3, 23, tzinfo=UTC)  # covers until midnight CET
    # before 13:00 CET: at publication (12:00 UTC in winter)
    assert next_price_fetch("awattar", today_only, morning) == datetime(2025, 11, 3, 12, tzinfo=UTC)
    # after publication with tomorrow missing: retry soon (None)
    assert next_price_fetch("awattar", today_only, datetime(2025, 11, 3, 12, 30, tzinfo=UTC)) is None
    # tomorrow covered: the next day's publication
    covered = datetime(2025, 11, 4, 23, tzinfo=UTC)
    assert next_price_fetch("awattar", covered, datetime(2025, 11, 3, 13, tzinfo=UTC)) == datetime(
        2025, 11, 4, 12, tzinfo=UTC
    )
    # Octopus publishes ~16:00 UK time
    assert next_price_fetch("octopus", None, morning) == datetime(2025, 11, 3, 16, tzinfo=UTC)


def test_location_override_demo_and_country_only() -> None:
    cfg = DataSourcesConfig(latitude="51.5", longitude="-0.12", country="gb")
    loc = resolve_location(cfg, demo=True)
    assert loc is not None and (loc.latitude, loc.longitude, loc.country) == (51.5, -0.12, "GB")
    assert resolve_location(DataSourcesConfig(), demo=True) == DEMO_LOCATION
    assert resolve_location(DataSourcesConfig(), demo=False) is None
    only = resolve_location(DataSourcesConfig(country="DK"), demo=False)
    assert only is not None and only.latitude is None and only.country == "DK"


def engine_for(tmp_path: Path, **changes: Any) -> DataSourcesEngine:
    cfg = DataSourcesConfig(**changes)
    return DataSourcesEngine(cfg, tmp_path, resolve_location(cfg, demo=False))


async def test_auto_suggests_providers_from_the_country(tmp_path: Path) -> None:
    gb = engine_for(tmp_path, country="GB", latitude="51.5", longitude="0")
    assert gb.runners[Source.PRICES].choice.provider == "octopus"
    assert gb.runners[Source.CARBON].choice.provider == "uk_carbon"
    assert engine_for(tmp_path, country="AT").runners[Source.PRICES].choice.provider == "awattar"
    assert engine_for(tmp_path, country="DK").runners[Source.PRICES].choice.provider == "energi_data_service"
    status = engine_for(tmp_path, country="FR").source_status(Source.PRICES)
    assert status.state is SourceState.DISABLED and "ENTSO-E" in status.detail
    assert (
        engine_for(tmp_path, country="FR", entsoe_token="x").runners[Source.PRICES].choice.provider
        == "entsoe"
    )


async def test_retention_drops_old_slots(tmp_path: Path, demo: str) -> None:
    engine = make(
        tmp_path, settings(demo, air_quality_provider="off", carbon_provider="off", price_provider="off")
    )
    await engine.start()
    try:
        await until(ok(engine, Source.WEATHER))
        future = datetime.now(UTC).timestamp() + 400 * 86400
        removed = await engine.store.apply_retention(90, now=future)
        assert removed > 0
        series, _ = await engine.store.load(Source.WEATHER, datetime(2000, 1, 1, tzinfo=UTC))
        assert series == {}
    finally:
        await engine.stop()


async def test_calendar_events_replace_the_window_and_reach_the_status(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)

    def event(hours: float, summary: str) -> dict[str, Any]:
        start = now + timedelta(hours=hours)
        end = start + timedelta(hours=1)
        return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()},
                "summary": summary, "description": None, "location": None, "uid": summary}  # fmt: skip

    two = orjson.dumps([event(2, "Dentist"), event(30, "Away")])
    one = orjson.dumps([event(30, "Away")])
    provider_server.on("/api/calendars", Reply(b'[{"entity_id": "calendar.family", "name": "Family"}]'))
    provider_server.on("/api/calendars/calendar.family", Reply(two), Reply(one))
    cfg = settings(provider_server.url, **PRICES_ONLY, price_provider="off")
    engine = make(tmp_path, cfg, calendar=HaCalendar(provider_server.url, "ha-token"))
    await engine.start()
    try:
        await until(ok(engine, Source.CALENDAR))
        assert [summary for _, summary, _ in engine.upcoming_events(now, now + timedelta(days=2))] == [
            "Dentist",
            "Away",
        ]
        assert engine.current(Source.CALENDAR)["next"][0]["summary"] == "Dentist"
        await engine.test(Source.CALENDAR)  # HA now has only "Away": "Dentist" disappears
        assert [summary for _, summary, _ in engine.upcoming_events(now, now + timedelta(days=2))] == ["Away"]
        stored = await engine.history(Source.CALENDAR, "calendar.family", now, now + timedelta(days=2))
        assert [s.start for s in stored] == [now + timedelta(hours=30)]
    finally:
        await engine.stop()


async def test_the_demo_serves_calendars_too(tmp_path: Path) -> None:
    engine = DataSourcesEngine(DataSourcesConfig(), tmp_path, DEMO_LOCATION, demo=DemoProviderServer(),
                               calendar=HaCalendar("", DEMO_TOKEN))  # fmt: skip
    await engine.start()
    try:
        await until(ok(engine, *ALL, Source.CALENDAR))
        now = datetime.now(UTC)
        events = engine.upcoming_events(now, now + timedelta(days=7))
        assert {summary for _, summary, _ in events} >= {"Away: weekend trip", "Bin collection"}
    finally:
        await engine.stop()


async def test_location_and_country_from_home_assistant(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    provider_server.on("/api/config", fixture("ha_config.json"))
    url = provider_server.url

    async def ha_config(session: Any) -> Any:
        return await ha_rest_location(session, url, "ha-token", "")

    engine = DataSourcesEngine(
        replace(settings(url), carbon_provider="auto"), tmp_path, None, ha_config=ha_config
    )
    assert engine.source_status(Source.PRICES).state is SourceState.DISABLED  # no country known yet
    await engine.start()
    try:
        loc = engine.location
        assert loc is not None and (loc.latitude, loc.longitude, loc.country) == (51.5072, -0.1276, "GB")
        assert (loc.time_zone, loc.currency, loc.origin) == ("Europe/London", "GBP", "home_assistant")
        assert engine.runners[Source.PRICES].choice.provider == "octopus"  # chosen again for GB
        assert engine.runners[Source.CARBON].choice.provider == "uk_carbon"
        assert provider_server.seen[0].headers["Authorization"] == "Bearer ha-token"
    finally:
        await engine.stop()
    provider_server.on("/api/config", Reply(b"401: Unauthorized", 401, content_type="text/plain"))
    engine = DataSourcesEngine(settings(url), tmp_path, None, ha_config=ha_config)
    await engine.start()
    try:
        assert engine.location is None  # no guess; zone.home or the config must say
    finally:
        await engine.stop()


async def test_a_zone_change_drops_that_sources_cache_only(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    demo = DemoProviderServer()
    url = await demo.start()
    try:
        first = make(tmp_path, settings(url, air_quality_provider="off", carbon_provider="off"))
        await first.start()
        await until(ok(first, Source.WEATHER, Source.PRICES))
        await first.stop()
    finally:
        await demo.stop()
    cfg = settings(provider_server.url, air_quality_provider="off", carbon_provider="off", price_zone="AT")
    second = make(tmp_path, cfg)  # the provider is unreachable now: only the cache can answer
    await second.start()
    try:
        now = datetime.now(UTC)
        assert second.source_status(Source.WEATHER).state is SourceState.OK  # same place: kept
        assert second.slots(SeriesKind.PRICE, now - timedelta(hours=1), now + timedelta(hours=6)) == []
        assert second.source_status(Source.PRICES).last_success is None  # DE's prices are not AT's
    finally:
        await second.stop()
