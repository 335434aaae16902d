"""A provider outage never stalls ingest: a real runtime (simulator, HA client, pipeline, store)
keeps storing events while every data source's provider hangs, and the outage shows in the
source's status with the age of its last good data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.config import DataSourcesConfig
from core.datasources import SPEC as DATA_SOURCES
from core.datasources.model import Source, SourceState
from core.slots import SeriesKind
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
