"""What the energy engine publishes: one immutable snapshot per refresh, read by the API and the tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.energy.attribution import Attribution
from core.energy.correlation import HourProfile, WeatherCorrelation
from core.energy.discovery import Meters
from core.energy.shifting import ShiftSuggestion
from core.energy.windows import Window
from core.slots import Slot


@dataclass(frozen=True, slots=True)
class Appliance:
    """A configured appliance: "dishwasher:2h" or "ev_charge:4h:11kWh"."""

    name: str
    duration: timedelta
    kwh: float | None = None  # energy per run, for the expected cost


@dataclass(frozen=True, slots=True)
class Glance:
    """Today so far against yesterday up to the same time of day; None = unknown."""

    kwh: float | None
    cost: float | None
    carbon_kg: float | None
    yesterday_kwh: float | None
    yesterday_cost: float | None
    yesterday_carbon_kg: float | None
    since: datetime | None = None  # today's data begins later than midnight (the app started today)
    home_kwh: float | None = None  # the home's own use (grid + solar - export + battery out - in)
    yesterday_home_kwh: float | None = None
    month: MonthSoFar | None = None


@dataclass(frozen=True, slots=True)
class MonthSoFar:
    """This local calendar month up to now; totals of the known slots, None when none is known."""

    start: datetime  # the month's first local midnight (UTC)
    kwh: float | None
    cost: float | None  # None also when a slot that used energy has no known price
    carbon_kg: float | None
    home_kwh: float | None = None  # with solar or battery meters only
    unknown_hours: float = 0.0  # slots of the month without known grid consumption
    since: datetime | None = None  # the data begins after the month's start


@dataclass(frozen=True, slots=True)
class ApplianceAdvice:
    appliance: Appliance
    cheapest: Window | None  # contiguous
    cheapest_slots: Window | None  # non-contiguous slots adding up to the duration
    greenest: Window | None
    now_price: float | None  # mean price of running it right now
    day_average_price: float | None  # mean of today's known prices
    now_carbon: float | None
    expected_cost: float | None  # kWh × cheapest mean price, when the appliance's kWh is known
    cost_now: float | None


@dataclass(frozen=True, slots=True)
class DeviceUsage:
    entity_id: str
    name: str
    kwh_today: float | None
    kwh_period: float | None  # over the analysed history
    cost_period: float | None


@dataclass(frozen=True, slots=True)
class Attributed:
    """A switch's estimated draw and how it was found ("step": before/after each change;
    "regression": on/off states against mains readings when changes overlap)."""

    name: str
    estimate: Attribution
    method: str


@dataclass(frozen=True, slots=True)
class EnergySnapshot:
    computed_at: datetime
    time_zone: str
    meters: Meters
    resolution_min: int
    history_start: datetime
    consumption: tuple[Slot, ...]  # from the grid (import), kWh per slot on the price grid
    cost: tuple[Slot, ...]
    carbon: tuple[Slot, ...]  # kg CO2 per slot
    prices: tuple[Slot, ...]
    carbon_intensity: tuple[Slot, ...]
    currency: str | None
    glance: Glance
    devices: tuple[DeviceUsage, ...]
    attributions: tuple[Attributed, ...]
    weather: WeatherCorrelation | None
    time_of_day: HourProfile | None
    advice: tuple[ApplianceAdvice, ...]
    suggestions: tuple[ShiftSuggestion, ...]
    notes: tuple[str, ...] = field(default=())  # honest reasons for anything missing
    events_read: int = 0
    # The home's own use per slot on the same grid, when solar or battery meters are named (else
    # empty: the home's use is its grid import). Cost and carbon stay on the grid import.
    home_usage: tuple[Slot, ...] = ()
    # What the weather and time-of-day correlations were computed on: the home's own use when it is
    # known (solar shifts grid import to the evening and hides heating on sunny days), else import.
    correlated: str = "grid import"
