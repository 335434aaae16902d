"""The REST API's engine spec (disabled unless `[api] enabled`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.api.server import ApiServer
    from core.deps import Deps


async def _build(deps: Deps) -> ApiServer | None:
    if not deps.config.api.enabled:
        return None
    from core.api.server import ApiServer

    return ApiServer(deps)


SPEC: EngineSpec[ApiServer] = EngineSpec(
    name="api",
    build=_build,
    label="REST API",
    role=EngineRole.SERVICE,
    sections=("api",),
    logger="core.api",
)
