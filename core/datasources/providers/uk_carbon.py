"""UK Carbon Intensity API (NESO): keyless, 30-minute periods in UTC, gCO2/kWh plus a band word.

National: `/intensity/{from}/{to}` gives `{"data": [...]}` with `actual` (null until settled) and
`forecast`; we keep the actual once it exists. Regional (ids 1-17) is forecast only and nests the
list one level deeper: `{"data": {"regionid": .., "data": [...]}}`. A 200 with `{}` or an `error`
object is a failure, not an empty series.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import floor_to, utc_iso
from core.slots import Slot

UNIT = "gCO2/kWh"
BANDS = ("very low", "low", "moderate", "high", "very high")


def parse(data: Any) -> Fetched:
    if not isinstance(data, dict) or not data:
        raise ProviderError("empty body {}")
    if "error" in data:
        err = data["error"]
        raise ProviderError(f"error: {err.get('message', err) if isinstance(err, dict) else err}"[:200])
    rows = data.get("data")
    if isinstance(rows, dict):  # regional forecast: one region object holding the list
        rows = rows.get("data")
    if isinstance(rows, list) and len(rows) == 1 and isinstance(rows[0].get("data"), list):
        rows = rows[0]["data"]  # /regional/regionid/{id}: a list of one region
    if not isinstance(rows, list):
        raise ProviderError("unexpected body: no data list")
    if not rows:
        raise NotPublished("no periods returned")
    slots: list[Slot] = []
    bands: dict[datetime, str] = {}
    actuals = 0
    for row in rows:
        start, end = utc_iso(row["from"]), utc_iso(row["to"])
        intensity = row.get("intensity") or {}
        actual, forecast = number(intensity.get("actual")), number(intensity.get("forecast"))
        actuals += actual is not None
        slots.append(Slot(start, end, actual if actual is not None else forecast, UNIT))
        if isinstance(intensity.get("index"), str):
            bands[start] = intensity["index"]
    return Fetched(
        series={"carbon": tuple(slots)}, labels={"carbon": bands}, current={"actual_slots": actuals}
    )


class UkCarbonIntensity:
    name: ClassVar[str] = "uk_carbon"
    source: ClassVar[Source] = Source.CARBON
    default_url: ClassVar[str] = "https://api.carbonintensity.org.uk"
    interval: ClassVar[timedelta] = timedelta(minutes=30)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        start = floor_to(ctx.now - timedelta(hours=24), 30)
        stamp = start.strftime("%Y-%m-%dT%H:%MZ")
        region = ctx.settings.carbon_region
        if region:
            path = f"/regional/intensity/{stamp}/fw48h/regionid/{region}"
        else:
            path = f"/intensity/{stamp}/{(start + timedelta(hours=72)).strftime('%Y-%m-%dT%H:%MZ')}"
        resp = await request(ctx, path, headers={"Accept": "application/json"})
        return parse(resp.json())
