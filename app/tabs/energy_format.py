"""Text for the Energy tab: formatting of core's energy snapshot only (numbers come from core)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from app import fmt
from app.models.rows_model import Column
from core.energy.consumers import Consumer
from core.energy.model import ApplianceAdvice, EnergySnapshot, MonthSoFar
from core.energy.views import zone
from core.energy.windows import Window

NO_METERS_TITLE = "No energy sensors found"
NO_METERS_DETAIL = (
    "Set up Home Assistant's energy dashboard (Settings → Dashboards → Energy): add your grid "
    "consumption meter (an energy sensor with state_class total_increasing) and, if you have one, a grid "
    "power sensor and your devices' energy sensors. This tab finds them on its next analysis. "
    "Or name the meters yourself in Configuration → energy (grid_import, mains_power, device_meters)."
)


def versus(today: float | None, yesterday: float | None, unit: str, digits: int) -> str:
    """'yesterday by now: 7.1 kWh (+12 %)'; honest dashes when either side is unknown."""
    if yesterday is None:
        return "yesterday by now: unknown"
    text = f"yesterday by now: {fmt.number(yesterday, digits)} {unit}"
    if today is not None and yesterday > 0:
        text += f" ({(today - yesterday) / yesterday * 100:+.0f} %)"
    return text


def local_time(t: datetime, tz: tzinfo) -> str:
    return t.astimezone(tz).strftime("%H:%M")


def window(w: Window | None, tz: tzinfo, digits: int = 3) -> str:
    if w is None:
        return "no window in the known future"
    span = f"{local_time(w.start, tz)}–{local_time(w.end, tz)}"
    if len(w.blocks) > 1:
        span = ", ".join(f"{local_time(a, tz)}–{local_time(b, tz)}" for a, b in w.blocks)
    return f"{span} at {fmt.number(w.mean_rate, digits)} {w.unit}"


def advice_text(a: ApplianceAdvice, tz: tzinfo, currency: str | None, has_carbon: bool) -> str:
    hours = a.appliance.duration.total_seconds() / 3600
    lines = [f"{a.appliance.name.replace('_', ' ')} ({fmt.number(hours, 1)} h)"]
    lines.append(f"cheapest: {window(a.cheapest, tz)}")
    if a.cheapest_slots is not None and len(a.cheapest_slots.blocks) > 1:
        lines.append(f"in pieces: {window(a.cheapest_slots, tz)}")
    lines.append(f"greenest: {window(a.greenest, tz, 0)}" if has_carbon else "greenest: no grid carbon data")
    lines.append(f"now {fmt.number(a.now_price, 3)} · day average {fmt.number(a.day_average_price, 3)}")
    if a.expected_cost is not None and currency:
        lines.append(
            f"a run costs {fmt.number(a.expected_cost, 2)} {currency} (now {fmt.number(a.cost_now, 2)})"
        )
    return "\n".join(lines)


def since(s: EnergySnapshot) -> str:
    """' (data since 14:05)' when today's data starts after midnight, else ''."""
    return "" if s.glance.since is None else f" (data since {local_time(s.glance.since, zone(s))})"


def month(m: MonthSoFar | None, currency: str | None, tz: tzinfo) -> tuple[str, str]:
    """The "This month" tile: grid kWh, and a caption with cost, carbon, home use and what is unknown."""
    if m is None:
        return fmt.DASH, "not analysed yet"
    parts = [
        f"cost {fmt.number(m.cost, 2)} {currency or ''}".strip() if m.cost is not None else "cost unknown",
        f"{fmt.number(m.carbon_kg, 1)} kg CO2" if m.carbon_kg is not None else "carbon unknown",
    ]
    if m.home_kwh is not None:
        parts.append(f"home usage {fmt.number(m.home_kwh, 1)} kWh")
    if m.since is not None:
        parts.append(f"data since {m.since.astimezone(tz):%d %b %H:%M}")
    if m.unknown_hours >= 0.25:
        parts.append(f"{fmt.number(m.unknown_hours, 1)} h unknown")
    return f"{fmt.number(m.kwh, 1)} kWh", " · ".join(parts)


def status(s: EnergySnapshot) -> str:
    return f"meters from {s.meters.source.value} · analysed {fmt.clock(s.computed_at)}"


def _amount(c: Consumer) -> str:
    if c.metered:
        return f"{fmt.number(c.kwh_period, 1)} kWh"
    return f"≈ {fmt.number(c.watts)} W when on"


def _evidence(c: Consumer) -> str:
    if c.metered:
        return "metered"
    return f"estimate {fmt.number(c.low)}–{fmt.number(c.high)} W, {c.events} switchings ({c.method})"


CONSUMER_COLUMNS = [
    Column("Device", lambda c: c.name, sample="MMMMMMMMMMMMMMMMMMMMMM"),
    Column("Use", _amount, align_right=True, sample="MMMMMMMMMMM"),
    Column(
        "Today", lambda c: f"{fmt.number(c.kwh_today, 2)} kWh" if c.metered else fmt.DASH, align_right=True
    ),
    Column("How sure", _evidence, sample=None),
]
