"""Energy so far: today, yesterday up to the same time of day, and this local month, as the energy
engine's latest snapshot counts them (the Energy tab's tiles). One nested answer for clients, and a
flat one per field for an HA REST sensor ("energy cost this month").

Unknown is null, never 0: a total over part of the month would pass for the month, so the month's
`unknown_hours`, `since` and a `reason` say how much of it is known.
"""

from __future__ import annotations

from datetime import datetime

from core.api.convert import iso
from core.api.routes_energy import TAG, snapshot_of
from core.api.schemas import NUM, STR, TIME, nullable, obj
from core.api.spec import Access, JsonDict, RequestContext, Route
from core.energy import views
from core.energy.model import EnergySnapshot, MonthSoFar

ENERGY_UNIT = "kWh"


def _num(unit: str) -> JsonDict:
    return {**NUM, "nullable": True, "description": f"{unit}; null when unknown"}


KWH, COST, CARBON = _num("kWh from the grid"), _num("in `currency`"), _num("kg CO2")
HOME = _num("kWh the home used (grid + solar - export + battery out - in); null without solar or battery")
SINCE = {**TIME, "nullable": True, "description": "the data begins after `start`; null when it covers it"}
UNKNOWN_HOURS = {**NUM, "description": "hours of the span without known consumption (not counted)"}


def _day(
    start: datetime,
    end: datetime,
    kwh: float | None,
    cost: float | None,
    carbon: float | None,
    home: float | None,
) -> JsonDict:
    return {
        "start": iso(start),
        "end": iso(end),
        "kwh": kwh,
        "cost": cost,
        "carbon_kg": carbon,
        "home_kwh": home,
    }


def _month(m: MonthSoFar | None, end: datetime) -> JsonDict | None:
    if m is None:
        return None
    return {
        **_day(m.start, end, m.kwh, m.cost, m.carbon_kg, m.home_kwh),
        "unknown_hours": m.unknown_hours,
        "since": iso(m.since),
    }


def summary_json(s: EnergySnapshot) -> JsonDict:
    g, now = s.glance, s.computed_at
    today, yesterday, same_time = views.glance_bounds(s)
    return {
        "computed_at": iso(now),
        "time_zone": s.time_zone,
        "currency": s.currency,
        "unit": ENERGY_UNIT,
        "today": {**_day(today, now, g.kwh, g.cost, g.carbon_kg, g.home_kwh), "since": iso(g.since)},
        "yesterday": _day(
            yesterday,
            same_time,
            g.yesterday_kwh,
            g.yesterday_cost,
            g.yesterday_carbon_kg,
            g.yesterday_home_kwh,
        ),
        "month": _month(g.month, now),
        "notes": list(s.notes),
    }


def month_flat_json(s: EnergySnapshot) -> JsonDict:
    """Plain top-level fields for `value_json.cost` and friends."""
    m = s.glance.month
    gaps = views.month_gaps(s)
    return {
        "kwh": None if m is None else m.kwh,
        "unit": ENERGY_UNIT,
        "cost": None if m is None else m.cost,
        "currency": s.currency,
        "carbon_kg": None if m is None else m.carbon_kg,
        "home_kwh": None if m is None else m.home_kwh,
        "unknown_hours": None if m is None else m.unknown_hours,
        "start": None if m is None else iso(m.start),
        "since": None if m is None else iso(m.since),
        "as_of": iso(s.computed_at),
        "reason": "; ".join(gaps) if gaps else None,
    }


async def get_energy_summary(ctx: RequestContext) -> JsonDict:
    return summary_json(await snapshot_of(ctx))


async def get_energy_month(ctx: RequestContext) -> JsonDict:
    return month_flat_json(await snapshot_of(ctx))


DAY = {"start": TIME, "end": TIME, "kwh": KWH, "cost": COST, "carbon_kg": CARBON, "home_kwh": HOME}
MONTH = obj({**DAY, "unknown_hours": UNKNOWN_HOURS, "since": SINCE})


def routes() -> list[Route]:
    return [
        Route("GET", "/api/v1/energy/summary", get_energy_summary, Access.DATA,
              "Today so far, yesterday up to the same time, and this month so far: kWh, cost, carbon", TAG,
              obj({"computed_at": TIME, "time_zone": STR, "currency": nullable(STR), "unit": STR,
                   "today": obj({**DAY, "since": SINCE}), "yesterday": obj(DAY),
                   "month": {**MONTH, "nullable": True}, "notes": {"type": "array", "items": STR}}),
              description="From the energy engine's latest analysis (`computed_at`, every `[energy] "
              "refresh_s`). Spans are local calendar days and the local month in `time_zone`; "
              "`end` is the analysis time (yesterday's: the same time of day). Unknown values are null."),
        Route("GET", "/api/v1/ha/energy/month", get_energy_month, Access.DATA,
              "This month so far, flat for an HA REST sensor (kWh, cost, kg CO2; unknown is null)", TAG,
              obj({"kwh": KWH, "unit": STR, "cost": COST, "currency": nullable(STR), "carbon_kg": CARBON,
                   "home_kwh": HOME, "unknown_hours": {**UNKNOWN_HOURS, "nullable": True},
                   "start": {**TIME, "nullable": True, "description": "the local month's first midnight"},
                   "since": SINCE, "as_of": TIME,
                   "reason": {**STR, "nullable": True,
                              "description": "why a value is null or covers less than the month"}}),
              description="`as_of` is the energy engine's latest analysis; totals count the known "
              "slots from `start` (or `since`) to then. `reason` is null when the whole month is known."),
    ]  # fmt: skip
