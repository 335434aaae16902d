"""OpenWeatherMap 2.5 (needs an API key): the current observation (`/data/2.5/weather`) and the
5-day forecast in 3-hour steps (`/data/2.5/forecast`), of which we keep the next 48 h.

`cod` is an int on the current endpoint, a string on the forecast, and sometimes a string on errors
("404"), so it is compared as text; an error can also arrive with HTTP 200. Units follow the
`units` we send (standard = Kelvin and m/s, metric = °C and m/s, imperial = °F and mph) and are
normalised to °C and m/s here. The forecast stays in its native 3-hour slots (no invented hourly
values): an entry's temperature, humidity, wind and clouds describe its moment `dt` and become the
slot [dt, dt+3h); `rain.3h` + `snow.3h` are the water fallen in the 3 hours BEFORE `dt`
(OWM's "volume for the last 3 hours"), so they become [dt-3h, dt). OWM omits `rain`/`snow` when
none is forecast: that is a real 0 mm.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from core.datasources.model import AuthError, Fetched, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import epoch_s
from core.slots import Slot

STEP = timedelta(hours=3)
HORIZON = timedelta(hours=48)
OBSERVATION = timedelta(minutes=10)  # one observation slot per call builds up a history
UNITS = "metric"

Convert = Callable[[float], float]
_SAME: Convert = lambda v: v  # noqa: E731
TEMPERATURE: Mapping[str, Convert] = {
    "standard": lambda v: v - 273.15,
    "metric": _SAME,
    "imperial": lambda v: (v - 32.0) * 5.0 / 9.0,
}
WIND: Mapping[str, Convert] = {"standard": _SAME, "metric": _SAME, "imperial": lambda v: v * 0.44704}


def _check(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProviderError("error body: not an object")
    cod = str(data.get("cod", ""))
    if cod != "200":
        message = str(data.get("message", ""))[:160]
        if cod == "401":
            raise AuthError(f"OpenWeatherMap 401: {message}")
        raise ProviderError(f"OpenWeatherMap cod {cod}: {message}")
    return data


def _readings(item: Mapping[str, Any], units: str) -> dict[str, tuple[float | None, str]]:
    """Temperature, humidity, wind and clouds of one body or forecast entry, in °C, %, m/s, %."""
    if units not in TEMPERATURE:
        raise ProviderError(f"unknown OpenWeatherMap units {units!r}")
    main = item.get("main") or {}
    temp = number(main.get("temp"))
    wind = number((item.get("wind") or {}).get("speed"))
    return {
        "temperature": (None if temp is None else round(TEMPERATURE[units](temp), 2), "°C"),
        "humidity": (number(main.get("humidity")), "%"),
        "wind_speed": (None if wind is None else round(WIND[units](wind), 2), "m/s"),
        "cloud_cover": (number((item.get("clouds") or {}).get("all")), "%"),
    }


def parse(data: Any, units: str = UNITS) -> Fetched:
    """The current-weather body: a reading and one 10-minute slot per variable."""
    data = _check(data)
    weather = (data.get("weather") or [{}])[0]
    observed = epoch_s(float(data["dt"]))
    current: dict[str, Any] = {"observed_at": observed.isoformat()}
    series: dict[str, tuple[Slot, ...]] = {}
    for name, (value, unit) in _readings(data, units).items():
        if value is not None:
            current[name] = value
            series[name] = (Slot(observed, observed + OBSERVATION, value, unit),)
    rain = number((data.get("rain") or {}).get("1h"))
    current["precipitation_1h"] = rain if rain is not None else 0.0 if "rain" not in data else None
    if isinstance(weather, dict) and weather.get("description"):
        current["condition"] = str(weather["description"])
    return Fetched(series=series, current=current)


def _precipitation(item: Mapping[str, Any]) -> float | None:
    """rain.3h + snow.3h in mm (both absent = none forecast = 0; a present but unreadable one = unknown)."""
    total = 0.0
    for key in ("rain", "snow"):
        if key in item:
            value = number((item.get(key) or {}).get("3h"))
            if value is None:
                return None
            total += value
    return round(total, 3)


def parse_forecast(data: Any, now: datetime, units: str = UNITS) -> dict[str, tuple[Slot, ...]]:
    """The forecast body's entries from `now` to 48 h ahead, as native 3-hour slots."""
    entries = _check(data).get("list")
    if not isinstance(entries, list):
        raise ProviderError("OpenWeatherMap forecast without a list")
    out: dict[str, list[Slot]] = {}
    for item in entries:
        if not isinstance(item, dict) or number(item.get("dt")) is None:
            continue
        moment = epoch_s(float(item["dt"]))
        if moment + STEP <= now or moment > now + HORIZON:
            continue
        for name, (value, unit) in _readings(item, units).items():
            out.setdefault(name, []).append(Slot(moment, moment + STEP, value, unit))
        out.setdefault("precipitation", []).append(Slot(moment - STEP, moment, _precipitation(item), "mm"))
    return {name: tuple(slots) for name, slots in out.items()}


def combine(now: Fetched, forecast: Mapping[str, tuple[Slot, ...]]) -> Fetched:
    """The observation's slot, then the forecast slots that start after it (no overlap in a series)."""
    series: dict[str, tuple[Slot, ...]] = {}
    for name in {*now.series, *forecast}:
        observed = now.series.get(name, ())
        after = observed[-1].end if observed else None
        ahead = tuple(s for s in forecast.get(name, ()) if after is None or s.start >= after)
        series[name] = (*observed, *ahead)
    return Fetched(series=series, current=now.current)


class OpenWeatherMap:
    name: ClassVar[str] = "openweathermap"
    source: ClassVar[Source] = Source.WEATHER
    default_url: ClassVar[str] = "https://api.openweathermap.org"
    interval: ClassVar[timedelta] = timedelta(minutes=15)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        key = ctx.settings.owm_api_key
        if not key:
            raise AuthError("no OpenWeatherMap API key (data_sources.owm_api_key)")
        params = {**ctx.location.query("lat", "lon"), "units": UNITS, "appid": key}
        # OWM answers some errors with 200 and a `cod`; others with the status itself.
        resp = await request(ctx, "/data/2.5/weather", params=params, ok_statuses=(200, 404))
        now = parse(resp.json(), UNITS)
        # 17 steps of 3 h cover 48 h from any moment; the free plan allows 60 calls a minute.
        resp = await request(
            ctx, "/data/2.5/forecast", params={**params, "cnt": "17"}, ok_statuses=(200, 404)
        )
        return combine(now, parse_forecast(resp.json(), ctx.now, UNITS))
