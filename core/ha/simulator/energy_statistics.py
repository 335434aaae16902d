"""The demo home's long-term statistics: hourly `change`, `sum` and `state` of its energy meters for
any past hour, as HA's recorder keeps them "forever" (the home was running long before the simulator
started). The home's use follows a fixed daily profile in HA's time zone and the roof its clear-sky
curve under the average sky, so a test can compute them; within each hour the grid takes what the
roof does not cover and gets what the home does not use (import + solar - export = the profile)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from core.ha.simulator.demo_home import DemoHome
from core.ha.simulator.energy_home import CLOUD_MEAN, EXPORT_ID, IMPORT_ID, ROOF, SOLAR_ENERGY_ID, TRUE_WATTS
from core.ha.simulator.solar import clear_sky_kwh

HOUSE_PROFILE_KWH = (
    0.30, 0.28, 0.27, 0.27, 0.28, 0.32, 0.45, 0.60, 0.55, 0.45, 0.42, 0.44,
    0.50, 0.46, 0.42, 0.44, 0.52, 0.70, 0.95, 1.05, 0.90, 0.72, 0.50, 0.36,
)  # fmt: skip
"""The whole home's kWh in each local hour of the day."""
DUTY = 0.25
"""A metered plug's load is on this share of the time (its kWh per hour: watts × DUTY / 1000)."""
PERIODS_S = {"5minute": 300, "hour": 3600, "day": 86400}


def _is_energy_total(home: DemoHome, entity_id: str) -> bool:
    state = home.states.get(entity_id)
    attrs = state.attributes if state is not None else {}
    return attrs.get("device_class") == "energy" and attrs.get("state_class") in ("total", "total_increasing")


def home_kwh(hour_start_s: int, zone: tzinfo) -> float:
    """What the whole home used in the hour starting at `hour_start_s` (epoch seconds, whole hour)."""
    return HOUSE_PROFILE_KWH[datetime.fromtimestamp(hour_start_s, UTC).astimezone(zone).hour]


@lru_cache(maxsize=8192)
def solar_kwh(hour_start_s: int) -> float:
    """What the roof made in that hour under the average sky."""
    return round(clear_sky_kwh(hour_start_s, hour_start_s + 3600, ROOF) * CLOUD_MEAN, 6)


def hour_kwh(entity_id: str, hour_start_s: int, zone: tzinfo) -> float:
    """kWh of `entity_id` in the hour starting at `hour_start_s` (epoch seconds, whole hour)."""
    kwh = home_kwh(hour_start_s, zone)
    if entity_id in (IMPORT_ID, EXPORT_ID, SOLAR_ENERGY_ID):
        solar = solar_kwh(hour_start_s)
        flows = {IMPORT_ID: kwh - solar, EXPORT_ID: solar - kwh, SOLAR_ENERGY_ID: solar}
        return round(max(0.0, flows[entity_id]), 6)
    switch = "switch." + entity_id.removeprefix("sensor.").removesuffix("_energy")
    return round(TRUE_WATTS.get(switch, 10.0) * DUTY / 1000 * kwh / max(HOUSE_PROFILE_KWH), 6)


def statistics(
    home: DemoHome, ids: Iterable[str], start_s: int, end_s: int, period: str, types: set[str], zone: tzinfo
) -> dict[str, list[dict[str, Any]]]:
    """Rows per statistic id with data (ids without are absent, as in HA); whole periods only."""
    step = PERIODS_S[period]
    first = -(-start_s // step) * step
    out: dict[str, list[dict[str, Any]]] = {}
    for entity_id in ids:
        if not _is_energy_total(home, entity_id):
            continue
        rows, total = [], 0.0
        t = first
        while t + step <= end_s:
            change = (
                sum(hour_kwh(entity_id, h, zone) for h in range(t, t + step, 3600))
                if step >= 3600
                else (hour_kwh(entity_id, t // 3600 * 3600, zone) * step / 3600)
            )
            total += change
            row = {"start": t * 1000, "end": (t + step) * 1000, "change": round(change, 6),
                   "sum": round(total, 6), "state": round(1000.0 + total, 6)}  # fmt: skip
            rows.append({k: v for k, v in row.items() if k in ("start", "end") or k in types})
            t += step
        if rows:
            out[entity_id] = rows
    return out
