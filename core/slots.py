"""Time slots: the one shape every external series is normalised to at the edge (prices, grid carbon
intensity, weather, air quality) and that energy analytics consume.

A slot is [start, end) in UTC with a value in a named unit; `None` means "unknown for this slot",
never zero. Slot length always comes from the data (15, 30 or 60 minutes; a DST day has 92 or 100
quarter hours), never from an assumption.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class SeriesKind(StrEnum):
    PRICE = "price"  # "EUR/kWh", "GBP/kWh": currency named, per kWh
    CARBON = "carbon"  # "gCO2/kWh"
    TEMPERATURE = "temperature"  # "°C"
    HUMIDITY = "humidity"  # "%"
    WIND_SPEED = "wind_speed"  # "m/s"
    PRECIPITATION = "precipitation"  # "mm"
    AQI = "aqi"  # unit names the scale: "European AQI", "US AQI"


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC, exclusive
    value: float | None  # None: unknown for this slot (never shown or summed as zero)
    unit: str

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60.0

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def __reduce__(self) -> tuple[type[Slot], tuple[datetime, datetime, float | None, str]]:
        # Snapshots of tens of thousands of slots cross from the store's read process: pickled as a
        # constructor call they take half the time of a slotted dataclass's state protocol, and the
        # app unpickles them while holding the interpreter lock.
        return (Slot, (self.start, self.end, self.value, self.unit))


class SlotSource(Protocol):
    """Read side of the data sources engine, for energy analytics and the API: slots from its cache."""

    def slots(self, kind: SeriesKind, start: datetime, end: datetime) -> Sequence[Slot]: ...
