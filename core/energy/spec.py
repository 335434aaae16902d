"""The energy engine's spec. It reads the store and, when they run, asks the HA client (energy
dashboard preferences, time zone, currency) and the data sources engine (prices, grid carbon,
temperature); it starts after the pipeline, and finds the other two at each refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.datasources import SPEC as DATA_SOURCES
from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps
    from core.energy.engine import EnergyEngine, HACommands
    from core.slots import SlotSource


def _slot_source(deps: Deps) -> SlotSource | None:
    """The data sources engine (prices, grid carbon, temperature), when it runs."""
    return deps.control.engine(DATA_SOURCES)


async def _build(deps: Deps) -> EnergyEngine | None:
    from core.energy.engine import EnergyEngine
    from core.ha.spec import SPEC as HA_CLIENT

    config = deps.config.energy
    if not config.enabled:
        return None

    def ha() -> HACommands | None:
        return deps.control.engine(HA_CLIENT)

    return EnergyEngine(config, deps.store, ha=ha, slots=lambda: _slot_source(deps))


SPEC: EngineSpec[EnergyEngine] = EngineSpec(
    name="energy",
    build=_build,
    label="Energy",
    role=EngineRole.PROCESS,
    sections=("energy",),
    after=("pipeline",),
    logger="core.energy",
    disabled_detail="disabled in [energy]",
)
