"""ENTSO-E Transparency Platform day-ahead prices (A44; needs a security token): XML.

slot = Period start + (position - 1) x resolution (PT15M, PT30M, PT60M). Curve type A03 leaves out
a point equal to the one before, so missing positions repeat the previous price up to the Period's
end. "No data" is an Acknowledgement_MarketDocument with reason code 999, usually with HTTP 400.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import ClassVar

from core.datasources.model import AuthError, Fetched, NotConfigured, NotPublished, ProviderError, Source
from core.datasources.providers.base import FetchContext, per_mwh_to_per_kwh, request
from core.datasources.timeparse import compact_utc, floor_to, utc_iso
from core.slots import Slot

_LOGGER = logging.getLogger(__name__)
ZONES = {
    "DE_LU": "10Y1001A1001A82H", "AT": "10YAT-APG------L", "BE": "10YBE----------2",
    "NL": "10YNL----------L", "FR": "10YFR-RTE------C", "DK1": "10YDK-1--------W",
    "SE3": "10Y1001A1001A46L", "PL": "10YPL-AREA-----S",
}  # fmt: skip
COUNTRY_ZONE = {"DE": "DE_LU", "LU": "DE_LU", "AT": "AT", "BE": "BE", "NL": "NL", "FR": "FR", "PL": "PL"}
_RESOLUTION = re.compile(r"^PT(\d+)([MH])$")


def _strip_namespaces(root: ET.Element) -> None:
    for el in root.iter():
        if "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def _resolution(text: str) -> timedelta:
    match = _RESOLUTION.match(text.strip())
    if not match:
        raise ProviderError(f"unsupported resolution {text!r}")
    amount = int(match.group(1))
    return timedelta(hours=amount) if match.group(2) == "H" else timedelta(minutes=amount)


def parse(body: bytes) -> Fetched:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise ProviderError(f"not XML: {err}") from None
    _strip_namespaces(root)
    if root.tag == "Acknowledgement_MarketDocument":
        code = root.findtext("Reason/code", "")
        text = root.findtext("Reason/text", "")[:160]
        if code == "999":
            raise NotPublished(f"ENTSO-E: {text}")
        raise ProviderError(f"ENTSO-E acknowledgement {code}: {text}")
    slots: dict[datetime, Slot] = {}
    duplicates = 0
    for series in root.iter("TimeSeries"):
        currency = series.findtext("currency_Unit.name", "EUR")
        if series.findtext("price_Measure_Unit.name", "MWH").upper() != "MWH":
            raise ProviderError("unexpected price unit")
        for period in series.iter("Period"):
            for slot in _period_slots(period, f"{currency}/kWh"):
                if slot.start in slots:
                    duplicates += 1  # DE_LU/AT may carry a second (EXAA) series: keep the first
                    continue
                slots[slot.start] = slot
    if duplicates:
        _LOGGER.info("ENTSO-E document had %d slots in more than one series; kept the first", duplicates)
    if not slots:
        raise NotPublished("ENTSO-E: no prices in the document")
    return Fetched(series={"price": tuple(slots[k] for k in sorted(slots))})


def _period_slots(period: ET.Element, unit: str) -> list[Slot]:
    start = utc_iso(period.findtext("timeInterval/start", ""))
    end = utc_iso(period.findtext("timeInterval/end", ""))
    step = _resolution(period.findtext("resolution", ""))
    prices: dict[int, float] = {}
    for point in period.iter("Point"):
        prices[int(point.findtext("position", "0"))] = float(point.findtext("price.amount", "nan"))
    count = int((end - start) / step)
    out: list[Slot] = []
    last: float | None = None
    for position in range(1, count + 1):
        last = prices.get(position, last)  # A03: an omitted point repeats the previous price
        slot_start = start + (position - 1) * step
        out.append(Slot(slot_start, slot_start + step, per_mwh_to_per_kwh(last), unit))
    return out


def zone_eic(zone: str, country: str) -> str:
    name = zone or COUNTRY_ZONE.get(country, "")
    if not name:
        raise NotConfigured("no bidding zone: set data_sources.price_zone (e.g. DE_LU, NL)")
    return ZONES.get(name.upper(), name)


class Entsoe:
    name: ClassVar[str] = "entsoe"
    source: ClassVar[Source] = Source.PRICES
    default_url: ClassVar[str] = "https://web-api.tp.entsoe.eu"
    interval: ClassVar[timedelta] = timedelta(hours=6)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        token = ctx.settings.entsoe_token
        if not token:
            raise AuthError("no ENTSO-E token (data_sources.entsoe_token)")
        eic = zone_eic(ctx.settings.price_zone, ctx.location.country)
        start = floor_to(ctx.now - timedelta(hours=24), 60)
        params = {
            "securityToken": token,
            "documentType": "A44",
            "in_Domain": eic,
            "out_Domain": eic,
            "periodStart": compact_utc(start),
            "periodEnd": compact_utc(start + timedelta(hours=72)),
            "contract_MarketAgreement.type": "A01",
        }
        # The "no data" acknowledgement comes with HTTP 400: parse it rather than fail on status.
        resp = await request(ctx, "/api", params=params, ok_statuses=(200, 400))
        if resp.status == 400 and b"Acknowledgement_MarketDocument" not in resp.body:
            raise ProviderError("HTTP 400: bad request")
        return parse(resp.body)
