"""Octopus Energy Agile (GB): keyless unit rates per region letter, 30-minute slots, pence/kWh,
newest first, paginated by an absolute `next` URL. We keep `value_inc_vat` (the gross price the
customer pays) in GBP/kWh: 24.255 p = 0.24255 GBP."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import floor_to, utc_iso
from core.slots import Slot

MAX_PAGES = 5
PIECE = timedelta(minutes=30)


def parse(pages: list[Any], window_end: datetime) -> Fetched:
    """Rows of every page to slots in time order. A rate with `valid_to: null` holds until the
    window's end; long rates (non-Agile tariffs) are split into 30-minute pieces; where direct-debit
    and other payment methods duplicate a period, the direct-debit row wins."""
    chosen: dict[datetime, tuple[datetime, float | None, bool]] = {}
    for page in pages:
        rows = page.get("results") if isinstance(page, dict) else None
        if not isinstance(rows, list):
            raise ProviderError("unexpected body: no results list")
        for row in rows:
            start = utc_iso(row["valid_from"])
            end = utc_iso(row["valid_to"]) if row.get("valid_to") else window_end
            pence = number(row.get("value_inc_vat"))
            direct = row.get("payment_method") in (None, "DIRECT_DEBIT")
            if start in chosen and chosen[start][2] and not direct:
                continue
            chosen[start] = (end, None if pence is None else round(pence / 100.0, 6), direct)
    if not chosen:
        raise NotPublished("no rates returned")
    slots: list[Slot] = []
    for start in sorted(chosen):
        end, value, _ = chosen[start]
        piece = start
        while piece < end:
            slots.append(Slot(piece, min(end, piece + PIECE), value, "GBP/kWh"))
            piece += PIECE
    return Fetched(series={"price": tuple(slots)})


class OctopusAgile:
    name: ClassVar[str] = "octopus"
    source: ClassVar[Source] = Source.PRICES
    default_url: ClassVar[str] = "https://api.octopus.energy"
    interval: ClassVar[timedelta] = timedelta(hours=6)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        product = ctx.settings.octopus_product
        tariff = f"E-1R-{product}-{ctx.settings.octopus_region}"
        start = floor_to(ctx.now - timedelta(hours=24), 30)
        end = start + timedelta(hours=72)
        url = f"/v1/products/{product}/electricity-tariffs/{tariff}/standard-unit-rates/"
        params: dict[str, str] | None = {
            "period_from": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "period_to": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "page_size": "1500",
        }
        pages: list[Any] = []
        next_url: str | None = url
        while next_url and len(pages) < MAX_PAGES:
            page = (await request(ctx, next_url, params=params)).json()
            pages.append(page)
            next_url = page.get("next") if isinstance(page, dict) else None
            params = None  # `next` carries the query
        return parse(pages, end)
