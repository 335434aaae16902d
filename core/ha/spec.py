"""The HA client's engine spec: it connects to the configured Home Assistant, or to the built-in
simulator when no URL is configured, and feeds the pipeline (so it restarts whenever either does)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec
from core.ha.simulator.spec import SPEC as SIMULATOR
from core.pipeline.spec import SPEC as PIPELINE

if TYPE_CHECKING:
    from core.deps import Deps
    from core.ha.client import HAClient


class DependencyMissing(RuntimeError):
    """An engine this one needs is not running (it failed to start, or is disabled)."""


async def _build(deps: Deps) -> HAClient:
    from core.ha.client import HAClient

    pipeline = deps.control.engine(PIPELINE)
    if pipeline is None:
        raise DependencyMissing("the pipeline is not running")
    ha_config = deps.config.home_assistant
    if deps.config.use_simulator:
        simulator = deps.control.engine(SIMULATOR)
        if simulator is None:
            raise DependencyMissing("the demo home simulator is not running")
        ha_config = replace(ha_config, url=simulator.simulator.base_url, token=simulator.token)
    # The store's meta table keeps an unfinished back-fill (and which HA it is) across restarts.
    last_stored = deps.store.queries.last_time_fired
    return HAClient(ha_config, pipeline, deps.registry, deps.bus, last_stored, meta=deps.store)


SPEC: EngineSpec[HAClient] = EngineSpec(
    name="ha_client",
    build=_build,
    label="HA client",
    role=EngineRole.SOURCE,
    sections=("home_assistant", "simulator"),
    after=(PIPELINE.name, SIMULATOR.name),
    critical=True,
    dependency="home_assistant",
    logger="core.ha",
)
