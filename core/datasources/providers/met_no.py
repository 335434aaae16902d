"""met.no locationforecast 2.0 compact: keyless, but the terms require an identifying User-Agent
(app and contact), else 403. Times are UTC with Z; units in `properties.meta.units` (celsius, m/s).
Unlike Open-Meteo, precipitation sits in `next_1_hours`: it covers the FOLLOWING hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, ProviderError, Source
from core.datasources.providers.base import USER_AGENT, FetchContext, number, request
from core.datasources.timeparse import utc_iso
from core.slots import Slot

INSTANT = {"air_temperature": ("temperature", "°C"), "relative_humidity": ("humidity", "%"),
           "wind_speed": ("wind_speed", "m/s"), "cloud_area_fraction": ("cloud_cover", "%")}  # fmt: skip


def parse(data: Any) -> Fetched:
    try:
        rows = data["properties"]["timeseries"]
        units = data["properties"]["meta"]["units"]
    except (KeyError, TypeError):
        raise ProviderError("unexpected body: no properties.timeseries") from None
    if units.get("air_temperature", "celsius") != "celsius" or units.get("wind_speed", "m/s") != "m/s":
        raise ProviderError(f"unexpected units {units!r}")
    times = [utc_iso(r["time"]) for r in rows]
    series: dict[str, list[Slot]] = {name: [] for name, _ in INSTANT.values()}
    series["precipitation"] = []
    for i, (moment, row) in enumerate(zip(times, rows, strict=True)):
        step = times[i + 1] - moment if i + 1 < len(times) else timedelta(hours=1)
        details = row.get("data", {}).get("instant", {}).get("details", {})
        for key, (name, unit) in INSTANT.items():
            series[name].append(Slot(moment, moment + step, number(details.get(key)), unit))
        nxt = row.get("data", {}).get("next_1_hours")
        if isinstance(nxt, dict):
            amount = number(nxt.get("details", {}).get("precipitation_amount"))
            series["precipitation"].append(Slot(moment, moment + timedelta(hours=1), amount, "mm"))
    current: dict[str, Any] = {}
    if rows:
        first = rows[0].get("data", {})
        current["observed_at"] = times[0].isoformat()
        for key, (name, _) in INSTANT.items():
            value = number(first.get("instant", {}).get("details", {}).get(key))
            if value is not None:
                current[name] = value
        symbol = (first.get("next_1_hours") or {}).get("summary", {}).get("symbol_code")
        if symbol:
            current["condition"] = str(symbol).split("_")[0]
    return Fetched(series={k: tuple(v) for k, v in series.items() if v}, current=current)


class MetNo:
    name: ClassVar[str] = "met_no"
    source: ClassVar[Source] = Source.WEATHER
    default_url: ClassVar[str] = "https://api.met.no"
    interval: ClassVar[timedelta] = timedelta(minutes=30)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        contact = ctx.settings.metno_contact or "set data_sources.metno_contact"
        params = ctx.location.query("lat", "lon")
        resp = await request(
            ctx,
            "/weatherapi/locationforecast/2.0/compact",
            params=params,
            headers={"User-Agent": f"{USER_AGENT} {contact}"},
            ok_statuses=(200, 203),
        )
        return parse(resp.json())
