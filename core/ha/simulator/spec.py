"""The simulator's engine spec (kept apart from the package's import so `Simulator` stays cheap)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps
    from core.ha.simulator.engine import SimulatorEngine


async def _build(deps: Deps) -> SimulatorEngine | None:
    if not deps.config.use_simulator:
        return None
    from core.ha.simulator.engine import SimulatorEngine

    return SimulatorEngine(deps.config.simulator)


SPEC: EngineSpec[SimulatorEngine] = EngineSpec(
    name="simulator",
    build=_build,
    label="Demo home",
    role=EngineRole.SOURCE,
    sections=("home_assistant", "simulator"),
    logger="core.ha.simulator",
    disabled_detail="not in use: a Home Assistant URL is configured",
)
