"""Electricity Maps v3 (needs a token in the `auth-token` header): hourly carbon intensity per
zone, labelled by the hour's start in UTC, lifecycle gCO2eq/kWh. Free keys have no forecast, so we
read the last 24 h (`/carbon-intensity/history`) and the latest hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from core.datasources.model import AuthError, Fetched, NotConfigured, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import utc_iso
from core.slots import Slot

UNIT = "gCO2/kWh"  # CO2-equivalent, lifecycle (the API's emissionFactorType)


def _slot(row: Any) -> Slot:
    start = utc_iso(str(row["datetime"]))
    return Slot(start, start + timedelta(hours=1), number(row.get("carbonIntensity")), UNIT)


def parse(history: Any, latest: Any) -> Fetched:
    rows = history.get("history") if isinstance(history, dict) else None
    if not isinstance(rows, list):
        raise ProviderError("unexpected body: no history list")
    slots = {s.start: s for s in map(_slot, rows)}
    current: dict[str, Any] = {}
    if isinstance(latest, dict) and "datetime" in latest:
        newest = _slot(latest)
        slots[newest.start] = newest
        current = {"observed_at": newest.start.isoformat(), "carbon": newest.value,
                   "estimated": bool(latest.get("isEstimated"))}  # fmt: skip
    if not slots:
        raise NotPublished("no data for this zone")
    return Fetched(series={"carbon": tuple(sorted(slots.values(), key=lambda s: s.start))}, current=current)


class ElectricityMaps:
    name: ClassVar[str] = "electricity_maps"
    source: ClassVar[Source] = Source.CARBON
    default_url: ClassVar[str] = "https://api.electricitymap.org"
    interval: ClassVar[timedelta] = timedelta(minutes=30)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        token = ctx.settings.electricity_maps_token
        if not token:
            raise AuthError("no Electricity Maps token (data_sources.electricity_maps_token)")
        zone = ctx.settings.carbon_zone or ctx.location.country
        if not zone:
            raise NotConfigured("no zone: set data_sources.carbon_zone")
        headers, params = {"auth-token": token}, {"zone": zone}
        history = await request(ctx, "/v3/carbon-intensity/history", params=params, headers=headers)
        latest = await request(ctx, "/v3/carbon-intensity/latest", params=params, headers=headers)
        return parse(history.json(), latest.json())
