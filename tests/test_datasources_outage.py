"""A provider outage never stalls ingest: a real runtime (simulator, HA client, pipeline, store)
keeps storing events while every data source's provider hangs, and the outage shows in the
source's status. And InfluxDB points carry the weather at their time."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.config import DataSourcesConfig, InfluxConfig
from core.datasources import SPEC as DATA_SOURCES
from core.datasources.model import Source, SourceState
from core.influx.writer import rows
from core.influx.writer_v1 import WriterV1
from core.slots import SeriesKind
from tests.influx_servers import InfluxdServer
from tests.provider_server import ProviderServer, Reply, provider_server
from tests.runtime_harness import running_runtime, wait_for

__all__ = ["provider_server"]


async def test_ingest_keeps_storing_while_providers_hang(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    for path in ("/v1/forecast", "/v1/air-quality", "/intensity", "/v1/marketdata"):
        provider_server.on(path, Reply(hang=True))
    url = provider_server.url
    settings = DataSourcesConfig(
        latitude="51.5", longitude="-0.12", country="GB", price_provider="awattar", carbon_provider="off",
        weather_url=url, air_quality_url=url, carbon_url=url, prices_url=url, timeout_s=60.0,
    )  # fmt: skip
    async with running_runtime(tmp_path, data_sources=settings) as runtime:
        engine = runtime.engine(DATA_SOURCES)
        assert engine is not None
        await wait_for(lambda: provider_server.hits("/v1/forecast") >= 1, "a weather fetch in flight")

        def stored() -> int:
            stats = runtime.pipeline_stats()
            return stats.stored if stats is not None else 0

        before = stored()
        await wait_for(lambda: stored() >= before + 200, "200 more events stored while the providers hang")
        status = engine.source_status(Source.WEATHER)
        assert status.state is SourceState.NEVER and status.last_success is None  # still waiting, no guess
        now = datetime.now(UTC)
        assert engine.slots(SeriesKind.PRICE, now, now + timedelta(hours=1)) == []  # answers now: no data
        assert runtime.engine_status("data_sources").state.value == "running"


@pytest.mark.influx
async def test_influx_points_carry_the_weather_at_their_time(
    tmp_path: Path, influxd: InfluxdServer, influx_db: str
) -> None:
    """Simulator + pipeline + data sources (demo provider server) + InfluxDB sender + a real influxd."""
    influx = InfluxConfig(enabled=True, url=influxd.url, database=influx_db, batch_size=200)
    async with running_runtime(tmp_path, influxdb=influx) as runtime:
        engine = runtime.engine(DATA_SOURCES)
        assert engine is not None
        await wait_for(lambda: engine.source_status(Source.WEATHER).state is SourceState.OK, "weather")
        reading = engine.current(Source.WEATHER)
        writer = WriterV1(influx)
        try:
            query = "SELECT * FROM state_changed WHERE weather_temperature > -100 LIMIT 5"

            async def with_weather() -> list[dict[str, object]]:
                return rows(await writer.query(query))

            found: list[dict[str, object]] = []
            for _ in range(300):
                found = await with_weather()
                if found:
                    break
                await asyncio.sleep(0.1)
        finally:
            await writer.close()
    assert found, "points with weather fields"
    assert found[0]["weather_temperature"] == reading["temperature"]
    assert found[0]["weather_condition"] == reading["condition"]


async def test_a_configuration_change_restarts_only_the_data_sources(tmp_path: Path) -> None:
    async with running_runtime(tmp_path) as runtime:
        first = runtime.engine(DATA_SOURCES)
        assert first is not None
        demo = (Source.PRICES, Source.WEATHER)
        await wait_for(lambda: all(first.source_status(s).state is SourceState.OK for s in demo), "demo data")
        new = replace(runtime.config, data_sources=replace(runtime.config.data_sources, price_provider="off"))
        restarted = await runtime.apply_config(new)
        assert restarted == ["data_sources"]
        second = runtime.engine(DATA_SOURCES)
        assert second is not None and second is not first
        status = second.source_status(Source.PRICES)
        assert status.state is SourceState.DISABLED and status.detail == "turned off"
        weather = second.source_status(Source.WEATHER)
        assert weather.state is SourceState.OK and weather.last_success is not None  # from sources.db
