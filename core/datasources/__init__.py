"""Data sources: weather, air quality, grid carbon intensity and electricity prices from public
providers, normalised to `core.slots.Slot` at the edge, cached in memory and in sources.db.

The package exports exactly one `SPEC`; other engines reach the running engine with
`deps.control.engine(SPEC)` and read it as a `core.slots.SlotSource`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from core.config import AppConfig
from core.datasources.engine import DataSourcesEngine
from core.datasources.location import DEMO_LOCATION, ha_rest_location, home_zone_location, resolve_location
from core.datasources.model import Location
from core.datasources.providers.ha_calendar import HaCalendar
from core.datasources.providers.ics import IcsCalendar
from core.engine import EngineRole, EngineSpec

if TYPE_CHECKING:
    from core.deps import Deps

URL_KEYS = ("weather_url", "air_quality_url", "carbon_url", "prices_url")


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
    store = deps.store

    async def locate() -> Location | None:
        return await home_zone_location(store, settings.country)

    needs_ha = location is None or location.latitude is None
    ha = config.home_assistant
    ha_url = ha_http_url(ha.url)

    async def ha_config(session: Any) -> Location | None:
        return await ha_rest_location(session, ha_url, ha.token, settings.country)

    return DataSourcesEngine(
        settings,
        deps.data_dir,
        location,
        demo=demo,
        locate=locate if needs_ha else None,
        calendar=calendar_for(config, demo=demo is not None),
        ha_config=ha_config if needs_ha and ha_url and ha.token and demo is None else None,
        influx=config.influxdb if config.influxdb.enabled else None,
    )


def calendar_for(config: AppConfig, *, demo: bool) -> HaCalendar | None:
    """HA's calendars: at HA's own URL with its token; the demo server's in demo mode."""
    settings = config.data_sources
    entities = tuple(settings.calendar_entities)
    if not settings.calendar_enabled:
        return None
    ics = IcsCalendar(settings.calendar_ics_url) if settings.calendar_ics_url else None
    if demo:
        from core.datasources.demo_server import DEMO_TOKEN

        # The URL is set once the demo listens.
        return HaCalendar(settings.calendar_url, DEMO_TOKEN, entities, ics=ics)
    ha = config.home_assistant
    url = settings.calendar_url or ha_http_url(ha.url)
    if url and ha.token:
        return HaCalendar(url, ha.token, entities, ics=ics)
    return None if ics is None else HaCalendar("", "", entities, ics=ics)


def ha_http_url(url: str) -> str:
    """http(s)://host[:port] from whatever form the HA URL was given in (ws, wss, /api/websocket)."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ""
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix("/api/websocket")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


SPEC: EngineSpec[DataSourcesEngine] = EngineSpec(
    name="data_sources",
    build=build,
    label="Data sources",
    role=EngineRole.SOURCE,
    sections=("data_sources", "influxdb"),
    logger="core.datasources",
    disabled_detail="turned off (data_sources.enabled)",
)

__all__ = ["DEMO_LOCATION", "SPEC", "DataSourcesEngine", "Location", "resolve_location"]
