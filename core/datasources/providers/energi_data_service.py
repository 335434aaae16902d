"""Energi Data Service (Denmark, keyless): dataset DayAheadPrices (from 1 Oct 2025, 15-minute
rows; Elspotprices stopped on 30 Sep 2025). `TimeUTC` is a naive UTC time; prices per MWh in EUR
and DKK (we use EUR: old DKK values had weekend gaps). One request per dataset per minute per IP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import orjson

from core.datasources.model import Fetched, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, per_mwh_to_per_kwh, request
from core.datasources.timeparse import slots_from_starts, utc_iso

DATASET = "DayAheadPrices"


def parse(data: Any, area: str) -> Fetched:
    rows = data.get("records") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ProviderError("unexpected body: no records list")
    rows = sorted((r for r in rows if r.get("PriceArea") == area), key=lambda r: str(r["TimeUTC"]))
    if not rows:
        raise NotPublished(f"no prices for {area}")
    starts = [utc_iso(str(r["TimeUTC"])) for r in rows]
    values = [per_mwh_to_per_kwh(number(r.get("DayAheadPriceEUR"))) for r in rows]
    # Rows carry only a start: each slot ends at the next row's start (15 or 60 minutes).
    slots = slots_from_starts(starts, values, "EUR/kWh", fallback=timedelta(minutes=15))
    return Fetched(series={"price": slots})


class EnergiDataService:
    name: ClassVar[str] = "energi_data_service"
    source: ClassVar[Source] = Source.PRICES
    default_url: ClassVar[str] = "https://api.energidataservice.dk"
    interval: ClassVar[timedelta] = timedelta(hours=6)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        # Zealand, Copenhagen and Bornholm (east of the Great Belt, ~11° E) are DK2; the rest DK1.
        area = ctx.settings.price_zone or ("DK2" if (ctx.location.longitude or 0.0) >= 11.0 else "DK1")
        start = (ctx.now - timedelta(days=1)).date()
        params = {
            "start": start.isoformat(),
            "end": (start + timedelta(days=3)).isoformat(),
            "filter": orjson.dumps({"PriceArea": [area]}).decode(),
            "sort": "TimeUTC asc",
            "limit": "2000",  # a fixed small limit cut 96-slot days short in a popular client
        }
        resp = await request(ctx, f"/dataset/{DATASET}", params=params)
        return parse(resp.json(), area)
