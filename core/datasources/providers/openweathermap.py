"""OpenWeatherMap current weather 2.5 (needs an API key): the current observation only.

`cod` is an int on success and sometimes a string on errors ("404"), so it is compared as text;
an error can also arrive with HTTP 200. We ask for metric units (°C, m/s); `dt` is Unix seconds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from core.datasources.model import AuthError, Fetched, ProviderError, Source
from core.datasources.providers.base import FetchContext, number, request
from core.datasources.timeparse import epoch_s
from core.slots import Slot


def parse(data: Any) -> Fetched:
    if not isinstance(data, dict):
        raise ProviderError("error body: not an object")
    cod = str(data.get("cod", ""))
    if cod != "200":
        message = str(data.get("message", ""))[:160]
        if cod == "401":
            raise AuthError(f"OpenWeatherMap 401: {message}")
        raise ProviderError(f"OpenWeatherMap cod {cod}: {message}")
    main = data.get("main") or {}
    wind = data.get("wind") or {}
    weather = (data.get("weather") or [{}])[0]
    observed = epoch_s(float(data["dt"]))
    current: dict[str, Any] = {"observed_at": observed.isoformat()}
    readings = {
        "temperature": (number(main.get("temp")), "°C"),
        "humidity": (number(main.get("humidity")), "%"),
        "wind_speed": (number(wind.get("speed")), "m/s"),
        "cloud_cover": (number((data.get("clouds") or {}).get("all")), "%"),
    }
    series: dict[str, tuple[Slot, ...]] = {}
    for name, (value, unit) in readings.items():
        if value is not None:
            current[name] = value
            # The observation holds for the next few minutes; we keep one 10-minute slot per call
            # so the observations build up a history.
            series[name] = (Slot(observed, observed + timedelta(minutes=10), value, unit),)
    rain = number((data.get("rain") or {}).get("1h"))
    current["precipitation_1h"] = rain if rain is not None else 0.0 if "rain" not in data else None
    if isinstance(weather, dict) and weather.get("description"):
        current["condition"] = str(weather["description"])
    return Fetched(series=series, current=current)


class OpenWeatherMap:
    name: ClassVar[str] = "openweathermap"
    source: ClassVar[Source] = Source.WEATHER
    default_url: ClassVar[str] = "https://api.openweathermap.org"
    interval: ClassVar[timedelta] = timedelta(minutes=15)

    async def fetch(self, ctx: FetchContext) -> Fetched:
        key = ctx.settings.owm_api_key
        if not key:
            raise AuthError("no OpenWeatherMap API key (data_sources.owm_api_key)")
        params = {
            **ctx.location.query("lat", "lon"),
            "units": "metric",
            "appid": key,
        }
        # OWM answers some errors with 200 and a `cod`; others with the status itself.
        resp = await request(ctx, "/data/2.5/weather", params=params, ok_statuses=(200, 404))
        return parse(resp.json())
