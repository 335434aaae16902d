"""Device reliability: availability %, events per day, last seen and time unavailable, per device.

A device counts as unavailable while any of its entities is (the worst entity's time is the
device's), since one radio or integration failure usually takes all of them at once. Closed
outages come from the rollups; an outage still going on is added from the entity's latest state,
because the rollups only learn of an outage when it ends. Shared by the API and the GUI.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.analytics import hour_range
from core.store.codec import datetime_to_us, us_to_datetime
from core.store.query_analytics import DeviceEntityStats, device_entity_stats, run_read

DAY_S = 86_400.0
UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class DeviceReliability:
    device_id: str
    name: str
    manufacturer: str | None
    model: str | None
    area_id: str | None
    entities: int  # entities of the device with events in the period
    events: int
    events_per_day: float
    last_seen: datetime | None
    unavailable_s: float
    availability_pct: float | None  # None: no events in the period, nothing to judge by
    unavailable_now: bool


def _entity_unavailable_s(row: DeviceEntityStats, start_s: float, now_s: float) -> float:
    closed = row.unavailable_ms / 1000
    if row.last_state == UNAVAILABLE and row.last_us:
        closed += max(0.0, now_s - max(start_s, row.last_us / 1_000_000))
    return closed


def summarize(
    device_id: str, rows: list[DeviceEntityStats], info: Any, start_s: float, now_s: float
) -> DeviceReliability:
    period = max(1.0, now_s - start_s)
    events = sum(r.events for r in rows)
    last = max((r.last_us for r in rows), default=0)
    unavailable = max((_entity_unavailable_s(r, start_s, now_s) for r in rows), default=0.0)
    unavailable = min(unavailable, period)
    return DeviceReliability(
        device_id=device_id,
        name=info.display_name if info is not None else device_id,
        manufacturer=getattr(info, "manufacturer", None),
        model=getattr(info, "model", None),
        area_id=getattr(info, "area_id", None),
        entities=len(rows),
        events=events,
        events_per_day=events * DAY_S / period,
        last_seen=us_to_datetime(last) if last else None,
        unavailable_s=unavailable,
        availability_pct=100.0 * (1 - unavailable / period) if rows else None,
        unavailable_now=any(r.last_state == UNAVAILABLE for r in rows),
    )


async def device_reliability(
    store: Any, start: datetime, end: datetime | None = None, *, include_idle: bool = True
) -> list[DeviceReliability]:
    """One row per device (registry devices without events too, when include_idle), worst first."""
    now = end or datetime.now(UTC)
    a, b = hour_range(start, now)
    rows, devices = await asyncio.gather(
        run_read(store.queries, lambda c, _l: device_entity_stats(c, a, b)), store.queries.devices()
    )
    by_device: dict[str, list[DeviceEntityStats]] = {}
    for row in rows:
        by_device.setdefault(row.device_id, []).append(row)
    info = {d.id: d for d in devices}
    ids = set(by_device) | (set(info) if include_idle else set())
    start_s, now_s = datetime_to_us(start) / 1e6, datetime_to_us(now) / 1e6
    out = [summarize(d, by_device.get(d, []), info.get(d), start_s, now_s) for d in ids]
    out.sort(key=lambda r: (r.availability_pct if r.availability_pct is not None else 101.0, r.name))
    return out
