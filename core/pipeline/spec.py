"""The pipeline's engine spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps
    from core.pipeline.pipeline import Pipeline


async def _build(deps: Deps) -> Pipeline:
    from core.pipeline.pipeline import Pipeline

    return Pipeline(deps.config.storage, deps.store, deps.registry, deps.bus)


SPEC: EngineSpec[Pipeline] = EngineSpec(
    name="pipeline",
    build=_build,
    label="Pipeline",
    role=EngineRole.PROCESS,
    sections=("storage",),
    critical=True,
    logger="core.pipeline",
)
