"""Top consumers for the Energy tab: metered devices (kWh measured by their own meter) and switches
whose draw was estimated on the mains meter (watts, marked as an estimate with its interval). Only
confident estimates are listed; the others are counted, so the user sees how many had no evidence."""

from __future__ import annotations

from dataclasses import dataclass

from core.energy.model import EnergySnapshot


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str
    metered: bool  # False: an estimate from switchings on the mains meter
    kwh_today: float | None = None
    kwh_period: float | None = None
    cost_period: float | None = None
    watts: float | None = None
    low: float | None = None
    high: float | None = None
    events: int = 0
    method: str = ""


def top_consumers(snapshot: EnergySnapshot, limit: int = 12) -> tuple[list[Consumer], int]:
    """Metered devices by kWh, then confident estimates by watts; and how many estimates were withheld."""
    metered = [Consumer(d.name, True, d.kwh_today, d.kwh_period, d.cost_period) for d in snapshot.devices]
    estimated = [
        Consumer(a.name, False, watts=a.estimate.watts, low=a.estimate.low, high=a.estimate.high,
                 events=a.estimate.events, method=a.method)
        for a in snapshot.attributions
        if a.estimate.confident
    ]  # fmt: skip
    withheld = sum(1 for a in snapshot.attributions if not a.estimate.confident)
    return (metered + estimated)[:limit], withheld
