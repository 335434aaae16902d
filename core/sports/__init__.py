"""Sports from ESPN's public site API: the user's teams, their games, debounced game events,
signed webhooks with a durable delivery queue (sports.db), and an ESPN-shaped demo server.

The package exports one `SPEC`; everything else reaches the engine through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec
from core.sports.engine import SportsEngine

if TYPE_CHECKING:
    from core.deps import Deps

# With the simulator on and no teams configured, the demo server plays these out.


async def build(deps: Deps) -> SportsEngine | None:
    from dataclasses import replace

    config = deps.config
    sports = config.sports
    if not sports.enabled:
        return None
    demo = None
    if not sports.teams and config.use_simulator:
        from core.sports.demo_server import DEMO_TEAMS, DemoServer

        demo = DemoServer()
        sports = replace(
            sports,
            teams=list(DEMO_TEAMS),
            live_poll_s=5.0,
            pregame_poll_s=5.0,
            day_poll_s=10.0,
            idle_poll_s=30.0,
        )
    influx = config.influxdb if config.influxdb.enabled else None
    return SportsEngine(sports, deps.data_dir, bus=deps.bus, demo=demo, influx=influx)


SPEC: EngineSpec[SportsEngine] = EngineSpec(
    name="sports",
    build=build,
    label="Sports",
    role=EngineRole.SOURCE,
    sections=("sports", "influxdb"),
    logger="core.sports",
    disabled_detail="disabled in [sports]",
)

__all__ = ["SPEC", "SportsEngine"]
