"""The in-memory copy of a source's recent slots: what the API, the tab and the energy engine read
(never waiting on a provider or on SQLite)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.datasources.model import Fetched
from core.slots import Slot


@dataclass(slots=True)
class SeriesCache:
    series: dict[str, list[Slot]] = field(default_factory=dict)
    labels: dict[str, dict[datetime, str]] = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)

    def merge(self, fetched: Fetched) -> None:
        """New slots replace every old slot they overlap (an hourly series may turn quarter-hourly)."""
        for name, new in fetched.series.items():
            if fetched.replace_span is not None:
                lo, hi = fetched.replace_span
                lo, hi = min([lo, *(s.start for s in new)]), max([hi, *(s.end for s in new)])
            elif not new:
                continue
            else:
                lo, hi = new[0].start, new[-1].end
            kept = [s for s in self.series.get(name, []) if s.end <= lo or s.start >= hi]
            self.series[name] = sorted([*kept, *new], key=lambda s: s.start)
            labels = self.labels.setdefault(name, {})
            for moment in [m for m in labels if lo <= m < hi]:
                del labels[moment]
            labels.update(fetched.labels.get(name, {}))
        if fetched.current:
            self.current = dict(fetched.current)

    def trim(self, before: datetime) -> None:
        for name, slots in self.series.items():
            self.series[name] = [s for s in slots if s.end > before]
            self.labels[name] = {m: w for m, w in self.labels.get(name, {}).items() if m >= before}

    def window(self, name: str, start: datetime, end: datetime) -> list[Slot]:
        # A linear scan: calendar events may overlap, so ends are not sorted (series hold a few
        # hundred slots at most: two days of quarter hours).
        return [s for s in self.series.get(name, []) if s.end > start and s.start < end]

    def at(self, name: str, moment: datetime) -> Slot | None:
        slots = self.series.get(name, [])
        i = bisect.bisect_right([s.start for s in slots], moment) - 1
        return slots[i] if i >= 0 and slots[i].covers(moment) else None

    def covered_until(self, name: str) -> datetime | None:
        slots = self.series.get(name)
        return slots[-1].end if slots else None

    @property
    def slot_count(self) -> int:
        return sum(len(s) for s in self.series.values())
