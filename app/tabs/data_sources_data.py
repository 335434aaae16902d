"""What the Data Sources tab shows, computed from the engine's statuses and cached slots: card
texts and chart series. No Qt here, so it is tested without a window."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from app import fmt
from core.datasources.engine import DataSourcesEngine
from core.datasources.model import Source, SourceState, SourceStatus
from core.slots import Slot

PAST = timedelta(hours=2)
AHEAD = timedelta(hours=46)
TITLES = {
    Source.PRICES: "Electricity price",
    Source.CARBON: "Grid carbon intensity",
    Source.WEATHER: "Weather",
    Source.AIR_QUALITY: "Air quality",
    Source.CALENDAR: "Calendar",
}
PROVIDER_NAMES = {
    "open_meteo": "Open-Meteo", "openweathermap": "OpenWeatherMap", "met_no": "met.no",
    "uk_carbon": "UK Carbon Intensity (NESO)", "electricity_maps": "Electricity Maps", "awattar": "aWATTar",
    "octopus": "Octopus Agile", "energi_data_service": "Energi Data Service", "entsoe": "ENTSO-E",
    "tibber": "Tibber", "home_assistant": "Home Assistant", "ics": "ICS calendar",
    "home_assistant+ics": "Home Assistant + ICS",
}  # fmt: skip
NOTE_STATES = (
    SourceState.WAITING,
    SourceState.STALE,
    SourceState.ERROR,
    SourceState.RATE_LIMITED,
    SourceState.NEVER,
)
# Carbon Intensity's own band words; their edges change yearly, so the word decides the colour.
BAND_LEVEL = {"very low": 0.0, "low": 0.25, "moderate": 0.5, "high": 0.75, "very high": 1.0}


@dataclass(frozen=True, slots=True)
class CardText:
    title: str
    state: str  # SourceState value: picks the dot colour
    headline: str  # the value now, with its unit, or why there is none
    caption: str  # its band, level or condition ("" when none)
    lines: tuple[tuple[str, str], ...]  # label, value
    error: str  # "" when none
    can_test: bool


@dataclass(frozen=True, slots=True)
class ChartData:
    title: str
    unit: str
    bars: tuple[Slot, ...] = ()
    bar_levels: tuple[float, ...] = ()  # 0 (cheap/clean) .. 1 (dear/dirty) per bar, for colour
    line: tuple[Slot, ...] = ()
    line_levels: tuple[float, ...] = ()  # per line point (carbon band), empty: one colour
    bar_unit: str = ""  # when bars and line differ (precipitation under temperature)
    empty_reason: str = ""  # shown instead of the chart when there is nothing to draw
    start: datetime | None = None  # the time axis (charts() always sets it)
    end: datetime | None = None


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone().strftime("%H:%M" if moment.date() == datetime.now(UTC).date() else "%a %H:%M")


def _age(status: SourceStatus) -> str:
    return "never" if status.data_age_s is None else fmt.age(time.time() - status.data_age_s)


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"
    if unit.endswith("/kWh") and not unit.startswith("g"):
        currency = unit.split("/")[0]
        small = {"EUR": "ct", "GBP": "p", "DKK": "øre", "SEK": "öre", "NOK": "øre"}.get(currency)
        if small:  # 0.09231 EUR/kWh reads as 9.23 ct/kWh
            return f"{value * 100:.2f} {small}/kWh"
        return f"{value:.4f} {unit}"
    digits = 1 if abs(value) < 100 and not value.is_integer() else 0
    return f"{value:.{digits}f} {unit}"


def headline(engine: DataSourcesEngine, source: Source, status: SourceStatus) -> tuple[str, str]:
    """The value in force now and its word (band, level, condition), or why there is none."""
    if not status.enabled:
        return status.detail or "off", ""
    now = datetime.now(UTC)
    reading = engine.current(source)
    if source is Source.PRICES or source is Source.CARBON:
        name = "price" if source is Source.PRICES else "carbon"
        found = engine.series(source, name, now, now + timedelta(seconds=1))
        if not found:
            return "no data for now", ""
        slot = found[0]
        word = engine.labels(source, name).get(slot.start, "")
        return _value(slot.value, slot.unit), word.replace("_", " ").lower()
    if source is Source.WEATHER:
        temp = reading.get("temperature")
        return ("no data", "") if temp is None else (f"{temp:.1f} °C", str(reading.get("condition", "")))
    if source is Source.CALENDAR:
        events = engine.upcoming_events(now, now + timedelta(days=7))
        if not events:
            return "no events", "in the next 7 days"
        slot, summary, _ = events[0]
        when = f"now, until {_when(slot.end)}" if slot.start <= now else _when(slot.start)
        return _short(summary), when
    if source is Source.AIR_QUALITY:
        value = reading.get("aqi")
        return (
            ("no data", "") if value is None else (f"AQI {value:.0f}", f"European scale · {aqi_band(value)}")
        )
    return "—", ""


def _short(text: str, size: int = 22) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def event_lines(engine: DataSourcesEngine, now: datetime) -> list[tuple[str, str]]:
    """The events after the headline's one: (when, what), at most three."""
    events = engine.upcoming_events(now, now + timedelta(days=7))[1:4]
    return [(_when(slot.start), _short(summary, 28)) for slot, summary, _ in events]


def aqi_band(eaqi: float) -> str:
    for edge, word in ((20, "good"), (40, "fair"), (60, "moderate"), (80, "poor"), (100, "very poor")):
        if eaqi <= edge:
            return word
    return "extremely poor"


def card_text(engine: DataSourcesEngine, status: SourceStatus) -> CardText:
    provider = PROVIDER_NAMES.get(status.provider, status.provider) or "none"
    lines = [("Provider", provider), ("Data", _age(status)), ("Next fetch", _when(status.next_fetch))]
    if status.source is Source.CALENDAR and status.enabled:
        lines = event_lines(engine, datetime.now(UTC)) + lines
    if status.rate_limited_until is not None:
        lines.append(("Rate limited until", _when(status.rate_limited_until)))
    if status.circuit_open:
        lines.append(("Circuit", f"open after {status.failures} failures"))
    if status.detail and status.state in NOTE_STATES:
        lines.append(("Note", status.detail))
    error = ""
    if status.last_error:
        error = f"{status.last_error} ({_when(status.last_error_at)})"
    value, caption = headline(engine, status.source, status)
    return CardText(
        TITLES[status.source], status.state.value, value, caption, tuple(lines), error, status.enabled
    )


def _rank_levels(slots: Sequence[Slot]) -> tuple[float, ...]:
    """0 for the cheapest known slot .. 1 for the dearest (by rank, so one spike does not flatten
    the rest); unknown slots get NaN and are drawn grey."""
    known = sorted({s.value for s in slots if s.value is not None})
    if len(known) < 2:
        return tuple(0.5 if s.value is not None else math.nan for s in slots)
    index = {v: i / (len(known) - 1) for i, v in enumerate(known)}
    return tuple(index[s.value] if s.value is not None else math.nan for s in slots)


def charts(engine: DataSourcesEngine, now: datetime | None = None) -> dict[Source, ChartData]:
    now = now or datetime.now(UTC)
    start, end = now - PAST, now + AHEAD

    def get(source: Source, name: str) -> tuple[Slot, ...]:
        return tuple(engine.series(source, name, start, end))

    def reason(source: Source) -> str:
        status = engine.source_status(source)
        if not status.enabled:
            return f"No data: {status.detail or 'source off'}"
        if status.last_error:
            return f"No data: {status.last_error}"
        return "No data yet" if status.last_success is None else "No data for the next hours"

    prices = get(Source.PRICES, "price")
    carbon = get(Source.CARBON, "carbon")
    carbon_start = start
    if carbon and carbon[-1].end <= now + timedelta(hours=1):  # history only (no forecast): show the past day
        carbon_start = now - timedelta(hours=24)
        carbon = tuple(engine.series(Source.CARBON, "carbon", carbon_start, end))
    bands = engine.labels(Source.CARBON, "carbon")
    temps = get(Source.WEATHER, "temperature")
    rain = get(Source.WEATHER, "precipitation")
    aqi = get(Source.AIR_QUALITY, "aqi")
    band_levels = tuple(BAND_LEVEL.get(bands.get(s.start, ""), math.nan) for s in carbon)
    return {
        Source.PRICES: ChartData(
            "Price, cheap → expensive", _unit(prices), bars=prices, bar_levels=_rank_levels(prices),
            empty_reason="" if prices else reason(Source.PRICES), start=start, end=end),
        Source.CARBON: ChartData(
            "Carbon intensity", _unit(carbon), line=carbon,
            line_levels=band_levels if bands else (),
            empty_reason="" if carbon else reason(Source.CARBON), start=carbon_start,
            end=end if carbon_start == start else now + timedelta(hours=2)),
        Source.WEATHER: ChartData(
            "Temperature and precipitation", _unit(temps), line=temps, bars=rain, bar_unit=_unit(rain),
            empty_reason="" if temps or rain else reason(Source.WEATHER), start=start, end=end),
        Source.AIR_QUALITY: ChartData(
            "Air quality", _unit(aqi), bars=aqi,
            bar_levels=tuple(math.nan if s.value is None else min(1.0, s.value / 100.0) for s in aqi),
            empty_reason="" if aqi else reason(Source.AIR_QUALITY), start=start, end=end),
    }  # fmt: skip


def _unit(slots: Sequence[Slot]) -> str:
    return slots[0].unit if slots else ""


def statuses(engine: DataSourcesEngine | None) -> list[Any]:
    return [] if engine is None else engine.source_statuses()
