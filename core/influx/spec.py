"""The InfluxDB sender's engine spec (disabled unless `[influxdb] enabled`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps
    from core.influx.sender import InfluxSender


async def _build(deps: Deps) -> InfluxSender | None:
    if not deps.config.influxdb.enabled:
        return None
    from core.influx.sender import InfluxSender

    return InfluxSender(deps.config.influxdb, deps.store, deps.bus)


SPEC: EngineSpec[InfluxSender] = EngineSpec(
    name="influxdb",
    build=_build,
    label="InfluxDB",
    role=EngineRole.SINK,
    sections=("influxdb",),
    dependency="influxdb",
    logger="core.influx",
)
