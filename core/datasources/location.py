"""Where the home is: the config's override, the demo home, or Home Assistant's `zone.home`
(its latitude and longitude attributes, as the HA client stored them)."""

from __future__ import annotations

from typing import Any

from core.config import DataSourcesConfig
from core.datasources.model import Location

# Where the built-in simulator's home is (its get_config answers the same), for the demo.
DEMO_LOCATION = Location(52.52, 13.4, "DE", "Europe/Berlin", "EUR", origin="demo")


def resolve_location(settings: DataSourcesConfig, *, demo: bool) -> Location | None:
    """The config's override when latitude and longitude are both set; the demo home in simulator
    mode; else None until Home Assistant's home zone is found. A country alone still lets "auto"
    pick the price and carbon providers."""
    country = settings.country.strip().upper()
    if settings.latitude and settings.longitude:
        return Location(float(settings.latitude), float(settings.longitude), country, origin="config")
    if demo:
        return DEMO_LOCATION if not country else Location(52.52, 13.4, country, origin="demo")
    return Location(None, None, country, origin="config") if country else None


async def home_zone_location(store: Any, country: str) -> Location | None:
    """HA's home coordinates from the last stored `zone.home` state, or None if none is stored yet."""
    events = await store.queries.last_events("zone.home", 1)
    if not events:
        return None
    attrs = events[0].event.attributes
    lat, lon = attrs.get("latitude"), attrs.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    return Location(float(lat), float(lon), country.strip().upper(), origin="home_assistant")


async def ha_rest_location(
    session: Any, url: str, token: str, country: str, timeout_s: float = 5.0
) -> Location | None:
    """Home Assistant's own location from its REST API (`GET /api/config`, the same dict as the
    WebSocket `get_config`: latitude, longitude, time_zone, currency, country). None when HA does
    not answer in time or answers without coordinates; the caller falls back to `zone.home`."""
    import aiohttp

    try:
        async with session.get(
            url.rstrip("/") + "/api/config",
            headers={"Authorization": f"Bearer {token}"},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as resp:
            if resp.status != 200:
                return None
            data = await resp.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    lat, lon = data.get("latitude"), data.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    return Location(
        float(lat),
        float(lon),
        (country or str(data.get("country") or "")).strip().upper(),
        str(data.get("time_zone") or "UTC"),
        str(data.get("currency") or ""),
        origin="home_assistant",
    )
