"""Open-Meteo forecast (weather, the default) and air quality: keyless, JSON with parallel arrays.

Times are naive: local in the body's `timezone` (we ask for GMT, and still convert by the zone the
body names). Instant variables (temperature) are labelled by their moment and become the slot
[t, t+step); accumulations (precipitation, radiation) cover the PRECEDING step, so `T14:00` is the
slot 13:00-14:00.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import local_naive
from core.slots import Slot

Convert = Callable[[float], float]
WIND_TO_MS: Mapping[str, Convert] = {
    "km/h": lambda v: v / 3.6,
    "m/s": lambda v: v,
    "mph": lambda v: v * 0.44704,
    "kn": lambda v: v * 0.514444,
}


@dataclass(frozen=True, slots=True)
class Variable:
    series: str  # our series name
    unit: str  # the unit after conversion
    accumulated: bool = False  # covers the preceding step


WEATHER_VARS: Mapping[str, Variable] = {
    "temperature_2m": Variable("temperature", "°C"),
    "relative_humidity_2m": Variable("humidity", "%"),
    "wind_speed_10m": Variable("wind_speed", "m/s"),
    "precipitation": Variable("precipitation", "mm", accumulated=True),
    "cloud_cover": Variable("cloud_cover", "%"),
    "shortwave_radiation": Variable("solar_radiation", "W/m²", accumulated=True),
    "weather_code": Variable("weather_code", "WMO code"),
}
AIR_VARS: Mapping[str, Variable] = {
    "european_aqi": Variable("aqi", "European AQI"),
    "us_aqi": Variable("us_aqi", "US AQI"),
    "pm2_5": Variable("pm2_5", "µg/m³"),
    "pm10": Variable("pm10", "µg/m³"),
    "ozone": Variable("ozone", "µg/m³"),
    "nitrogen_dioxide": Variable("nitrogen_dioxide", "µg/m³"),
    "birch_pollen": Variable("birch_pollen", "grains/m³"),
    "grass_pollen": Variable("grass_pollen", "grains/m³"),
}
WMO_CONDITIONS: Mapping[int, str] = {
    0: "clear", 1: "mainly clear", 2: "partly cloudy", 3: "overcast", 45: "fog", 48: "rime fog",
    51: "light drizzle", 53: "drizzle", 55: "dense drizzle", 61: "light rain", 63: "rain",
    65: "heavy rain", 66: "freezing rain", 67: "freezing rain", 71: "light snow", 73: "snow",
    75: "heavy snow", 77: "snow grains", 80: "rain showers", 81: "rain showers",
    82: "violent rain showers", 85: "snow showers", 86: "snow showers", 95: "thunderstorm",
    96: "thunderstorm with hail", 99: "thunderstorm with hail",
}  # fmt: skip


def _convert(raw_unit: str, var: Variable) -> Convert:
    """The conversion from the unit the body names to ours; unknown units are refused, not guessed."""
    unit = raw_unit.replace("μ", "µ")  # Open-Meteo writes Greek mu (U+03BC); we use the micro sign
    if var.unit == "m/s":
        if unit not in WIND_TO_MS:
            raise ProviderError(f"unexpected wind unit {raw_unit!r}")
        return WIND_TO_MS[unit]
    if var.unit == "°C" and unit == "°F":
        return lambda v: (v - 32.0) * 5.0 / 9.0
    if var.unit == "mm" and unit == "inch":
        return lambda v: v * 25.4
    return lambda v: v


def parse(data: Any, variables: Mapping[str, Variable]) -> Fetched:
    """Hourly arrays and the `current` block of one Open-Meteo body to slots and a reading."""
    if isinstance(data, list):  # several coordinates give an array; we ask for one
        data = data[0] if data else {}
    if not isinstance(data, dict) or data.get("error"):
        reason = data.get("reason", "") if isinstance(data, dict) else ""
        raise ProviderError(f"error body: {reason}"[:200])
    zone = str(data.get("timezone") or "GMT")
    offset = int(data.get("utc_offset_seconds") or 0)
    hourly = data.get("hourly") or {}
    units = data.get("hourly_units") or {}
    times = [local_naive(t, zone, offset) for t in hourly.get("time", [])]
    series: dict[str, tuple[Slot, ...]] = {}
    for name, var in variables.items():
        values = hourly.get(name)
        if not isinstance(values, list) or len(values) != len(times):
            continue
        series[var.series] = _slots(times, values, var, _convert(str(units.get(name, var.unit)), var))
    return Fetched(series=series, current=_current(data, variables, zone, offset))


def _slots(times: list[datetime], values: list[Any], var: Variable, convert: Convert) -> tuple[Slot, ...]:
    out: list[Slot] = []
    for i, moment in enumerate(times):
        if i + 1 < len(times):
            step = times[i + 1] - moment
        elif i > 0:
            step = moment - times[i - 1]
        else:
            step = timedelta(hours=1)
        raw = number(values[i])
        value = None if raw is None else round(convert(raw), 4)
        start, end = (moment - step, moment) if var.accumulated else (moment, moment + step)
        out.append(Slot(start, end, value, var.unit))
    return tuple(out)


def _current(
    data: Mapping[str, Any], variables: Mapping[str, Variable], zone: str, offset: int
) -> dict[str, Any]:
    block = data.get("current")
    if not isinstance(block, dict) or "time" not in block:
        return {}
    units = data.get("current_units") or {}
    out: dict[str, Any] = {"observed_at": local_naive(str(block["time"]), zone, offset).isoformat()}
    if number(block.get("interval")) is not None:
        out["interval_s"] = int(block["interval"])
    for name, var in variables.items():
        raw = number(block.get(name))
        if raw is not None:
            out[var.series] = round(_convert(str(units.get(name, var.unit)), var)(raw), 4)
    code = number(block.get("weather_code"))
    if code is not None:
        out["condition"] = WMO_CONDITIONS.get(int(code), f"WMO {int(code)}")
    return out


def _query(ctx: FetchContext, variables: Mapping[str, Variable], **extra: str) -> dict[str, str]:
    names = ",".join(variables)
    return {
        **ctx.location.query(),
        "current": names,
        "hourly": names,
        "timezone": "GMT",
        "past_days": "1",
        **extra,
    }


class OpenMeteoWeather:
    name: ClassVar[str] = "open_meteo"
    source: ClassVar[Source] = Source.WEATHER
    default_url: ClassVar[str] = "https://api.open-meteo.com"
    interval: ClassVar[timedelta] = timedelta(minutes=15)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        resp = await request(ctx, "/v1/forecast", params=_query(ctx, WEATHER_VARS, forecast_days="2"))
        return parse(resp.json(), WEATHER_VARS)


class OpenMeteoAirQuality:
    name: ClassVar[str] = "open_meteo"
    source: ClassVar[Source] = Source.AIR_QUALITY
    default_url: ClassVar[str] = "https://air-quality-api.open-meteo.com"
    interval: ClassVar[timedelta] = timedelta(hours=1)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        resp = await request(ctx, "/v1/air-quality", params=_query(ctx, AIR_VARS, forecast_days="2"))
        return parse(resp.json(), AIR_VARS)
