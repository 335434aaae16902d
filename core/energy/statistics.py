"""HA's long-term statistics (`recorder/statistics_during_period`, hourly `change` in kWh) as meter
intervals, to fill the months before the app started storing events. Within an hour the use is
unknown, so finer slots priced from it assume even use (the hour's mean price)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from core.energy.vector import Intervals

PERIOD = "hour"


def request(ids: Sequence[str], start: datetime, end: datetime) -> dict[str, Any]:
    """The WebSocket command (HA converts to kWh for us)."""
    return {
        "type": "recorder/statistics_during_period",
        "start_time": start.astimezone(UTC).isoformat(),
        "end_time": end.astimezone(UTC).isoformat(),
        "statistic_ids": list(ids),
        "period": PERIOD,
        "types": ["change"],
        "units": {"energy": "kWh"},
    }


def intervals(rows: Sequence[Mapping[str, Any]], until: float) -> Intervals:
    """Hourly rows (start/end in epoch ms, change in kWh) that end by `until` (epoch seconds)."""
    kept = [
        (r["start"] / 1000, r["end"] / 1000, float(r["change"]))
        for r in rows
        if isinstance(r.get("start"), int | float)
        and isinstance(r.get("end"), int | float)
        and isinstance(r.get("change"), int | float)
        and r["end"] / 1000 <= until
    ]
    kept.sort()
    if not kept:
        return Intervals(np.empty(0), np.empty(0), np.empty(0))
    table = np.array(kept, dtype=float)
    return Intervals(table[:, 0], table[:, 1], table[:, 2])


def merge(seed: Intervals, measured: Intervals) -> Intervals:
    """Statistics first, then the meter's own readings (the statistics end before the readings begin)."""
    if len(seed.start) == 0:
        return measured
    cut = measured.start[0] if len(measured.start) else np.inf
    keep = seed.end <= cut
    return Intervals(
        np.concatenate((seed.start[keep], measured.start)),
        np.concatenate((seed.end[keep], measured.end)),
        np.concatenate((seed.kwh[keep], measured.kwh)),
        measured.resets,
        measured.dips,
        measured.suspicious,
    )
