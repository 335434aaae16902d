"""The engine catalogue: every engine the app runs, one spec each, in the order they are listed to the
user. The runtime derives start and stop order, which config section restarts what, disabled states,
and the restartable set from this list; health, logs, the Services and Dependencies tabs and the
Configuration form read the same list. Adding an engine is one package with one `SPEC`, and one line here.
"""

from __future__ import annotations

from typing import Any

from core.engine import EngineSpec


def default_specs() -> tuple[EngineSpec[Any], ...]:
    from core import alerts, metrics
    from core.api import SPEC as API
    from core.datasources import SPEC as DATA_SOURCES
    from core.energy import SPEC as ENERGY
    from core.ha import SPEC as HA_CLIENT
    from core.ha.simulator.spec import SPEC as SIMULATOR
    from core.influx import SPEC as INFLUX
    from core.pipeline.spec import SPEC as PIPELINE
    from core.sports import SPEC as SPORTS

    return (
        SIMULATOR,
        PIPELINE,
        INFLUX,
        HA_CLIENT,
        DATA_SOURCES,
        ENERGY,
        SPORTS,
        API,
        alerts.SPEC,
        metrics.SPEC,
    )


class CatalogueError(ValueError):
    """Two engines with one name, an `after` naming no engine, or engines waiting on each other."""


def start_order(specs: tuple[EngineSpec[Any], ...]) -> tuple[EngineSpec[Any], ...]:
    """Every spec after the ones it names in `after`, otherwise in catalogue order."""
    by_name = {s.name: s for s in specs}
    if len(by_name) != len(specs):
        raise CatalogueError("two engines share a name")
    for spec in specs:
        missing = [a for a in spec.after if a not in by_name]
        if missing:
            raise CatalogueError(f"engine {spec.name} starts after unknown engine(s) {', '.join(missing)}")
    ordered: list[EngineSpec[Any]] = []
    placed: set[str] = set()
    while len(ordered) < len(specs):
        ready = [s for s in specs if s.name not in placed and all(a in placed for a in s.after)]
        if not ready:
            stuck = sorted(s.name for s in specs if s.name not in placed)
            raise CatalogueError(f"engines wait on each other: {', '.join(stuck)}")
        ordered.append(ready[0])
        placed.add(ready[0].name)
    return tuple(ordered)


def dependants(specs: tuple[EngineSpec[Any], ...], name: str) -> tuple[EngineSpec[Any], ...]:
    """The engines that start after `name`, directly or through others, in start order."""
    found: set[str] = {name}
    for spec in start_order(specs):
        if any(a in found for a in spec.after):
            found.add(spec.name)
    return tuple(s for s in start_order(specs) if s.name in found and s.name != name)
