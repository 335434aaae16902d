"""Energy API: consumption with cost and carbon, which switch costs what and the correlations, the
appliance recommendations, and a flat cheapest-window answer for an HA REST sensor or automation.

Every value that is not known is null, never 0. All answers come from the energy engine's latest
snapshot (recomputed every `[energy] refresh_s`), so a request never reads months of events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from core.api.convert import iso
from core.api.schemas import BOOL, INT, NUM, STR, TIME, arr, nullable, obj
from core.api.spec import Access, JsonDict, Kind, Param, RequestContext, Route
from core.api.validation import BadRequest
from core.energy import SPEC as ENERGY
from core.energy import views
from core.energy.binning import local_day
from core.energy.model import EnergySnapshot
from core.energy.windows import Window

TAG = "energy"
N_NUM, N_STR, N_TIME, N_INT = nullable(NUM), nullable(STR), nullable(TIME), nullable(INT)


async def snapshot_of(ctx: RequestContext) -> EnergySnapshot:
    engine = ctx.control.engine(ENERGY)
    if engine is None:
        raise web.HTTPServiceUnavailable(
            reason="the energy engine is not running ([energy] enabled = false?)"
        )
    return await engine.current()


def _meters(s: EnergySnapshot) -> JsonDict:
    m = s.meters
    return {
        "source": m.source.value,
        "grid_import": list(m.grid_import),
        "grid_export": list(m.grid_export),
        "mains_power": m.mains_power,
        "devices": [d.energy for d in m.devices],
        "solar": list(m.solar),
        "battery_out": list(m.battery_out),
        "battery_in": list(m.battery_in),
    }


async def get_consumption(ctx: RequestContext) -> JsonDict:
    s = await snapshot_of(ctx)
    p = ctx.params
    now = datetime.now(UTC)
    end = now if p["end"] is None else datetime.fromtimestamp(p["end"], UTC)
    start = (
        local_day(min(end, now), views.zone(s))[0]
        if p["start"] is None
        else datetime.fromtimestamp(p["start"], UTC)
    )
    resolution: str = p["resolution"]
    if end <= start:
        raise BadRequest("end must be after start")
    if views.slot_count(start, end, resolution) > views.MAX_SLOTS:
        raise BadRequest(f"at most {views.MAX_SLOTS} slots: use a coarser resolution or a shorter range")
    rows = views.consumption(s, start, end, resolution)
    kwh, cost, carbon = views.totals(rows)
    return {
        "start": iso(start),
        "end": iso(end),
        "resolution": resolution,
        "currency": s.currency,
        "computed_at": iso(s.computed_at),
        "total_kwh": kwh,
        "total_cost": cost,
        "total_carbon_kg": carbon,
        "unknown_slots": sum(1 for r in rows if r.kwh is None),
        # The home's own use (grid + solar - export + battery out - in): null without solar/battery.
        "home_usage_metered": bool(s.home_usage),
        "total_home_kwh": views.home_total(rows),
        "slots": [
            {
                "start": iso(r.start),
                "end": iso(r.end),
                "kwh": r.kwh,
                "home_kwh": r.home_kwh,
                "cost": r.cost,
                "carbon_kg": r.carbon_kg,
            }
            for r in rows
        ],
        "meters": _meters(s),
        "notes": list(s.notes),
    }


def _fit(fit: Any) -> JsonDict | None:
    if fit is None:
        return None
    return {"kwh_per_degree_hour": fit.slope, "kwh_per_day_base": fit.intercept, "r2": fit.r2, "days": fit.n}


async def get_correlation(ctx: RequestContext) -> JsonDict:
    s = await snapshot_of(ctx)
    w, tod = s.weather, s.time_of_day
    switches = [
        {
            "entity_id": a.estimate.entity_id,
            "name": a.name,
            "watts": a.estimate.watts,
            "low": a.estimate.low,
            "high": a.estimate.high,
            "events": a.estimate.events,
            "confident": a.estimate.confident,
            "method": a.method,
            "reason": a.estimate.reason,
        }
        for a in s.attributions
    ]
    return {
        "computed_at": iso(s.computed_at),
        "switches": switches,
        "weather": None
        if w is None
        else {"heating": _fit(w.heating), "cooling": _fit(w.cooling), "days": w.days},
        "time_of_day": None
        if tod is None
        else {
            "mean_kwh": list(tod.mean_kwh),
            "r2": tod.r2,
            "hours": tod.n,
        },
        "correlated_with": s.correlated,
        "notes": list(s.notes),
    }


def _window(w: Window | None) -> JsonDict | None:
    if w is None:
        return None
    return {
        "start": iso(w.start),
        "end": iso(w.end),
        "mean": w.mean_rate,
        "unit": w.unit,
        "blocks": [{"start": iso(a), "end": iso(b)} for a, b in w.blocks],
    }


async def get_recommendations(ctx: RequestContext) -> JsonDict:
    s = await snapshot_of(ctx)
    appliances = [
        {
            "name": a.appliance.name,
            "duration_min": int(a.appliance.duration.total_seconds() // 60),
            "kwh_per_run": a.appliance.kwh,
            "cheapest": _window(a.cheapest),
            "cheapest_slots": _window(a.cheapest_slots),
            "greenest": _window(a.greenest),
            "now_price": a.now_price,
            "day_average_price": a.day_average_price,
            "now_carbon": a.now_carbon,
            "expected_cost": a.expected_cost,
            "cost_now": a.cost_now,
        }
        for a in s.advice
    ]
    shifting = [
        {
            "name": h.name,
            "runs": h.runs,
            "usual_hour": h.usual_hour,
            "usual_count": h.usual_count,
            "best_hour": h.best_hour,
            "actual_cost": h.actual_cost,
            "shifted_cost": h.shifted_cost,
            "saving": h.saving,
            "currency": h.currency,
            "message": h.message,
        }
        for h in s.suggestions
    ]
    return {
        "computed_at": iso(s.computed_at),
        "currency": s.currency,
        "appliances": appliances,
        "shifting": shifting,
        "notes": list(s.notes),
    }


async def get_cheapest_window(ctx: RequestContext) -> JsonDict:
    s = await snapshot_of(ctx)
    hours: float = ctx.params["hours"]
    within = ctx.params["within_hours"]
    window = views.cheapest_from_now(
        s, timedelta(hours=hours), datetime.now(UTC), None if within is None else timedelta(hours=within)
    )
    unit = f"{s.currency}/kWh" if s.currency else None
    if window is None:
        reason = "no known prices" if not s.prices else "no run of known prices long enough"
        return {
            "start": None,
            "end": None,
            "average_price": None,
            "currency": s.currency,
            "unit": unit,
            "reason": reason,
        }
    return {
        "start": iso(window.start),
        "end": iso(window.end),
        "average_price": window.mean_rate,
        "currency": s.currency,
        "unit": unit,
        "reason": None,
    }


SLOT = obj({"start": TIME, "end": TIME, "kwh": N_NUM, "home_kwh": N_NUM, "cost": N_NUM, "carbon_kg": N_NUM})
METERS = obj(
    {
        "source": STR,
        "grid_import": arr(STR),
        "grid_export": arr(STR),
        "mains_power": N_STR,
        "devices": arr(STR),
        "solar": arr(STR),
        "battery_out": arr(STR),
        "battery_in": arr(STR),
    }
)
FIT = nullable(obj({"kwh_per_degree_hour": NUM, "kwh_per_day_base": NUM, "r2": NUM, "days": INT}))
SWITCH = obj(
    {
        "entity_id": STR,
        "name": STR,
        "watts": N_NUM,
        "low": N_NUM,
        "high": N_NUM,
        "events": INT,
        "confident": BOOL,
        "method": STR,
        "reason": STR,
    }
)
WINDOW = nullable(
    obj(
        {
            "start": TIME,
            "end": TIME,
            "mean": NUM,
            "unit": STR,
            "blocks": arr(obj({"start": TIME, "end": TIME})),
        }
    )
)
APPLIANCE = obj(
    {
        "name": STR,
        "duration_min": INT,
        "kwh_per_run": N_NUM,
        "cheapest": WINDOW,
        "cheapest_slots": WINDOW,
        "greenest": WINDOW,
        "now_price": N_NUM,
        "day_average_price": N_NUM,
        "now_carbon": N_NUM,
        "expected_cost": N_NUM,
        "cost_now": N_NUM,
    }
)
SHIFT = obj(
    {
        "name": STR,
        "runs": INT,
        "usual_hour": INT,
        "usual_count": INT,
        "best_hour": INT,
        "actual_cost": NUM,
        "shifted_cost": NUM,
        "saving": NUM,
        "currency": STR,
        "message": STR,
    }
)


def routes() -> list[Route]:
    return [
        Route("GET", "/api/v1/energy/consumption", get_consumption, Access.DATA,
              "kWh from the grid (its cost, carbon) and the home's own use per slot (unknown is null)", TAG,
              obj({"start": TIME, "end": TIME, "resolution": STR, "currency": N_STR, "computed_at": TIME,
                   "total_kwh": N_NUM, "total_cost": N_NUM, "total_carbon_kg": N_NUM, "unknown_slots": INT,
                   "home_usage_metered": BOOL, "total_home_kwh": N_NUM,
                   "slots": arr(SLOT), "meters": METERS, "notes": arr(STR)}),
              params=(Param("start", Kind.DATETIME, description="ISO 8601, inclusive; default midnight"),
                      Param("end", Kind.DATETIME, description="ISO 8601, exclusive; default now"),
                      Param("resolution", Kind.ENUM, enum=tuple(views.RESOLUTIONS), default="1h",
                            description="slot length; 1d = local calendar days"))),
        Route("GET", "/api/v1/energy/correlation", get_correlation, Access.DATA,
              "Which switch costs what (watts, 95 % interval), weather and time-of-day correlation", TAG,
              obj({"computed_at": TIME, "switches": arr(SWITCH),
                   "weather": nullable(obj({"heating": FIT, "cooling": FIT, "days": INT})),
                   "time_of_day": nullable(obj({"mean_kwh": arr(N_NUM), "r2": N_NUM, "hours": INT})),
                   "correlated_with": {"type": "string", "enum": ["home usage", "grid import"],
                                       "description": "the consumption the weather and time-of-day fits use"},
                   "notes": arr(STR)})),
        Route("GET", "/api/v1/energy/recommendations", get_recommendations, Access.DATA,
              "Cheapest and greenest windows per appliance, shifting suggestions from the home's habits", TAG,
              obj({"computed_at": TIME, "currency": N_STR, "appliances": arr(APPLIANCE),
                   "shifting": arr(SHIFT), "notes": arr(STR)})),
        Route("GET", "/api/v1/ha/energy/cheapest-window", get_cheapest_window, Access.DATA,
              "The cheapest contiguous window of N hours from now, flat for an HA REST sensor", TAG,
              obj({"start": N_TIME, "end": N_TIME, "average_price": N_NUM, "currency": N_STR, "unit": N_STR,
                   "reason": N_STR}),
              params=(Param("hours", Kind.NUMBER, required=True, minimum=0.25, maximum=48,
                            description="run time in hours (rounded up to whole price slots)"),
                      Param("within_hours", Kind.NUMBER, minimum=0.25, maximum=72,
                            description="the window must end within this many hours from now"))),
    ]  # fmt: skip
