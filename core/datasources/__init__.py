"""Data sources: weather, air quality, grid carbon intensity and electricity prices from public
providers, normalised to `core.slots.Slot` at the edge, cached in memory and in sources.db.

The package exports exactly one `SPEC`; other engines reach the running engine with
`deps.control.engine(SPEC)` and read it as a `core.slots.SlotSource`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.config import AppConfig, DataSourcesConfig
from core.datasources.engine import DataSourcesEngine
from core.datasources.model import Location
from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps

# Where the built-in simulator's home is (its get_config answers the same), for the demo.
DEMO_LOCATION = Location(52.52, 13.4, "DE", "Europe/Berlin", "EUR", origin="demo")
URL_KEYS = ("weather_url", "air_quality_url", "carbon_url", "prices_url")


def resolve_location(settings: DataSourcesConfig, *, demo: bool) -> Location | None:
    """The config's override when latitude and longitude are both set; the demo home in simulator
    mode; else None until Home Assistant's location is handed over (`set_location`). A country alone
    still lets "auto" pick the price and carbon providers."""
    country = settings.country.strip().upper()
    if settings.latitude and settings.longitude:
        return Location(float(settings.latitude), float(settings.longitude), country, origin="config")
    if demo:
        return DEMO_LOCATION if not country else Location(52.52, 13.4, country, origin="demo")
    return Location(None, None, country, origin="config") if country else None


def wants_demo(config: AppConfig) -> bool:
    """The demo provider server runs with the simulator, unless a provider URL is set."""
    settings = config.data_sources
    return config.use_simulator and not any(getattr(settings, k) for k in URL_KEYS)


async def build(deps: Deps) -> DataSourcesEngine | None:
    config = deps.config
    settings = config.data_sources
    if not settings.enabled:
        return None
    demo = None
    if wants_demo(config):
        from core.datasources.demo_server import DemoProviderServer

        demo = DemoProviderServer()
    location = resolve_location(settings, demo=demo is not None)
    return DataSourcesEngine(settings, deps.data_dir, location, demo=demo)


SPEC: EngineSpec[DataSourcesEngine] = EngineSpec(
    name="data_sources",
    build=build,
    label="Data sources",
    role=EngineRole.SOURCE,
    sections=("data_sources",),
    logger="core.datasources",
    disabled_detail="turned off (data_sources.enabled)",
)

__all__ = ["SPEC", "DataSourcesEngine", "Location"]
