"""The InfluxDB sender's engine spec (disabled unless `[influxdb] enabled`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps
    from core.influx.sender import InfluxSender


async def _build(deps: Deps) -> InfluxSender | None:
    if not deps.config.influxdb.enabled:
        return None
    from core.datasources import SPEC as DATA_SOURCES
    from core.influx.sender import InfluxSender

    control = deps.control

    async def weather(times: Sequence[datetime]) -> Sequence[Mapping[str, Any]] | None:
        """The weather at each event's time, when the data sources engine runs (it may start later)."""
        engine = control.engine(DATA_SOURCES)
        return None if engine is None else await engine.weather_for(times)

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
