"""aWATTar (DE via api.awattar.de, AT via api.awattar.at): keyless EPEX day-ahead prices, epoch ms
UTC, Eur/MWh without taxes or fees; negatives occur. Hourly so far, but the slot length is read
from start/end, never assumed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, per_mwh_to_per_kwh, request
from core.datasources.timeparse import epoch_ms, floor_to
from core.slots import Slot


def parse(data: Any) -> Fetched:
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ProviderError("unexpected body: no data list")
    if not rows:
        raise NotPublished("no prices returned")
    slots = []
    for row in rows:
        unit = str(row.get("unit", "")).lower()
        if unit != "eur/mwh":
            raise ProviderError(f"unexpected unit {row.get('unit')!r}")
        value = per_mwh_to_per_kwh(number(row.get("marketprice")))
        slots.append(Slot(epoch_ms(row["start_timestamp"]), epoch_ms(row["end_timestamp"]), value, "EUR/kWh"))
    return Fetched(series={"price": tuple(slots)})


class Awattar:
    name: ClassVar[str] = "awattar"
    source: ClassVar[Source] = Source.PRICES
    default_url: ClassVar[str] = "https://api.awattar.de"  # api.awattar.at for AT
    interval: ClassVar[timedelta] = timedelta(hours=6)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        start = floor_to(ctx.now - timedelta(hours=24), 60)
        end = start + timedelta(hours=72)
        params = {"start": str(int(start.timestamp() * 1000)), "end": str(int(end.timestamp() * 1000))}
        resp = await request(ctx, "/v1/marketdata", params=params)
        return parse(resp.json())
