"""Tibber (GraphQL, needs a token): the customer's own prices, already currency/kWh including
energy tax and VAT (`total`). `startsAt` carries a local offset; `tomorrow` is [] until ~13:00 CET.
Errors arrive with HTTP 200 in `errors[]` (e.g. extensions.code UNAUTHENTICATED)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.datasources.model import AuthError, Fetched, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import slots_from_starts, utc_iso

QUERY = (
    "{ viewer { homes { id currentSubscription { priceInfo(resolution: QUARTER_HOURLY) {"
    " current { total energy tax startsAt level currency }"
    " today { total startsAt level currency } tomorrow { total startsAt level currency } } } } } }"
)


def parse(data: Any) -> Fetched:
    if not isinstance(data, dict):
        raise ProviderError("unexpected body")
    errors = data.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        code = (first.get("extensions") or {}).get("code", "")
        message = f"Tibber {code}: {first.get('message', '')}"[:200]
        raise AuthError(message) if code == "UNAUTHENTICATED" else ProviderError(message)
    try:
        homes = data["data"]["viewer"]["homes"]
    except (KeyError, TypeError):
        raise ProviderError("unexpected body: no data.viewer.homes") from None
    info = next((h["currentSubscription"]["priceInfo"] for h in homes if h.get("currentSubscription")), None)
    if not info:
        raise NotPublished("no home with a current subscription")
    rows = [*(info.get("today") or []), *(info.get("tomorrow") or [])]
    currency = str(
        (info.get("current") or {}).get("currency") or (rows[0].get("currency") if rows else "EUR")
    )
    by_start: dict[datetime, Any] = {utc_iso(r["startsAt"]): r for r in rows}
    starts = sorted(by_start)
    values = [number(by_start[s].get("total")) for s in starts]
    slots = slots_from_starts(starts, values, f"{currency}/kWh", fallback=timedelta(minutes=15))
    levels = {s: str(by_start[s]["level"]) for s in starts if by_start[s].get("level")}
    return Fetched(series={"price": slots}, labels={"price": levels})


class Tibber:
    name: ClassVar[str] = "tibber"
    source: ClassVar[Source] = Source.PRICES
    default_url: ClassVar[str] = "https://api.tibber.com"
    interval: ClassVar[timedelta] = timedelta(hours=6)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        token = ctx.settings.tibber_token
        if not token:
            raise AuthError("no Tibber token (data_sources.tibber_token)")
        resp = await request(
            ctx,
            "/v1-beta/gql",
            method="POST",
            json_body={"query": QUERY},
            headers={"Authorization": f"Bearer {token}"},
        )
        return parse(resp.json())
