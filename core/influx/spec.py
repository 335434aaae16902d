"""The InfluxDB sender's engine spec (disabled unless `[influxdb] enabled`)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.engine import EngineRole, EngineSpec
from core.weather import weather_fields_for

if TYPE_CHECKING:
    from core.deps import Deps
    from core.influx.sender import InfluxSender


async def _build(deps: Deps) -> InfluxSender | None:
    if not deps.config.influxdb.enabled:
        return None
    from core.influx.sender import InfluxSender

    data_dir = deps.data_dir

    async def weather(times: Sequence[datetime]) -> Sequence[Mapping[str, Any]] | None:
        """The weather at each event's time, from the data sources' observations (sources.db)."""
        return await asyncio.to_thread(weather_fields_for, data_dir, times)

    return InfluxSender(deps.config.influxdb, deps.store, deps.bus, weather=weather)


SPEC: EngineSpec[InfluxSender] = EngineSpec(
    name="influxdb",
    build=_build,
    label="InfluxDB",
    role=EngineRole.SINK,
    sections=("influxdb",),
    dependency="influxdb",
    logger="core.influx",
)
