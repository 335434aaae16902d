"""The demo's provider server: a local aiohttp server (127.0.0.1, a free port) answering in each
default provider's exact shape (Open-Meteo forecast and air quality, aWATTar, Electricity Maps,
UK Carbon Intensity) with plausible values that are a pure function of the time, so the demo home
shows a full Data Sources tab with no internet and no key.

The values are simulated, and the tab says so. Prices come in 15-minute slots with a real daily
shape (night trough, morning and evening peaks, a midday solar dip).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from core.config import DataSourcesConfig
from core.datasources.timeparse import floor_to, utc_iso

HOUR = timedelta(hours=1)
QUARTER = timedelta(minutes=15)
DEMO_TOKEN = "demo-local-token"  # the demo server's Electricity Maps "key"; it accepts only this


def _hour(moment: datetime) -> float:
    return moment.hour + moment.minute / 60.0 + 1.0  # CET-ish local hour for the Berlin demo home


def price_eur_mwh(moment: datetime) -> float:
    h = _hour(moment) % 24
    base = 78.0 + 38.0 * math.exp(-((h - 8.0) ** 2) / 3.0) + 62.0 * math.exp(-((h - 18.5) ** 2) / 4.0)
    solar_dip = 45.0 * math.exp(-((h - 13.0) ** 2) / 5.0)
    night = 22.0 * math.exp(-((h - 3.5) ** 2) / 4.0)
    wobble = 3.0 * math.sin(moment.minute / 15.0 * 1.7 + moment.day)  # quarter hours differ a little
    return round(base - solar_dip - night + wobble, 2)


def carbon_g_kwh(moment: datetime) -> float:
    h = _hour(moment) % 24
    return round(
        380.0 + 90.0 * math.exp(-((h - 19.0) ** 2) / 6.0) - 150.0 * math.exp(-((h - 13.0) ** 2) / 6.0), 0
    )


def temperature_c(moment: datetime) -> float:
    h = _hour(moment)
    return round(7.0 + 4.5 * math.sin((h - 9.0) / 24.0 * 2 * math.pi) + 1.5 * math.sin(moment.day / 3.0), 1)


def precipitation_mm(moment: datetime) -> float:
    phase = math.sin((moment.timestamp() / 3600.0) / 7.0)
    return round(max(0.0, phase - 0.55) * 2.0, 1)


def aqi(moment: datetime) -> float:
    h = _hour(moment) % 24
    return round(
        24.0 + 14.0 * math.exp(-((h - 8.5) ** 2) / 3.0) + 10.0 * math.exp(-((h - 19.0) ** 2) / 5.0), 0
    )


def _naive(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _hours(request: web.Request) -> list[datetime]:
    now = floor_to(datetime.now(UTC), 60)
    past = int(request.query.get("past_days", "0"))
    days = int(request.query.get("forecast_days", "2"))
    first = now.replace(hour=0) - timedelta(days=past)
    return [first + i * HOUR for i in range((past + days) * 24)]


def _json(data: Any) -> web.Response:
    return web.Response(body=orjson.dumps(data), content_type="application/json")


def _envelope(extra: dict[str, Any]) -> dict[str, Any]:
    return {"latitude": 52.52, "longitude": 13.419998, "generationtime_ms": 0.1, "utc_offset_seconds": 0,
            "timezone": "GMT", "timezone_abbreviation": "GMT", "elevation": 38.0, **extra}  # fmt: skip


async def forecast(request: web.Request) -> web.Response:
    hours = _hours(request)
    now = datetime.now(UTC)
    cur = floor_to(now, 15)
    wind = [round(12.0 + 6.0 * math.sin(h.timestamp() / 20000.0), 1) for h in hours]  # km/h, as Open-Meteo
    precip = [precipitation_mm(h) for h in hours]
    return _json(_envelope({
        "current_units": {"time": "iso8601", "interval": "seconds", "temperature_2m": "°C",
                          "relative_humidity_2m": "%", "wind_speed_10m": "km/h", "precipitation": "mm",
                          "weather_code": "wmo code"},
        "current": {"time": _naive(cur), "interval": 900, "temperature_2m": temperature_c(cur),
                    "relative_humidity_2m": 78, "wind_speed_10m": 12.6,
                    "precipitation": precipitation_mm(cur),
                    "weather_code": 61 if precipitation_mm(cur) > 0 else 3},
        "hourly_units": {"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%",
                         "wind_speed_10m": "km/h", "precipitation": "mm", "cloud_cover": "%",
                         "weather_code": "wmo code"},
        "hourly": {"time": [_naive(h) for h in hours], "temperature_2m": [temperature_c(h) for h in hours],
                   "relative_humidity_2m": [round(80 - 12 * math.sin((_hour(h) - 9) / 24 * 2 * math.pi))
                                            for h in hours],
                   "wind_speed_10m": wind, "precipitation": precip,
                   "cloud_cover": [min(100, int(60 + 40 * math.sin(h.timestamp() / 30000.0))) for h in hours],
                   "weather_code": [61 if p > 0 else 3 for p in precip]},
    }))  # fmt: skip


async def air_quality(request: web.Request) -> web.Response:
    hours = _hours(request)
    cur = floor_to(datetime.now(UTC), 60)
    return _json(_envelope({
        "current_units": {"time": "iso8601", "interval": "seconds", "european_aqi": "EAQI", "us_aqi": "USAQI",
                          "pm2_5": "μg/m³"},
        "current": {"time": _naive(cur), "interval": 3600, "european_aqi": aqi(cur),
                    "us_aqi": round(aqi(cur) * 1.5), "pm2_5": round(aqi(cur) / 3.0, 1)},
        "hourly_units": {"time": "iso8601", "european_aqi": "EAQI", "us_aqi": "USAQI", "pm2_5": "μg/m³",
                         "pm10": "μg/m³"},
        "hourly": {"time": [_naive(h) for h in hours], "european_aqi": [aqi(h) for h in hours],
                   "us_aqi": [round(aqi(h) * 1.5) for h in hours],
                   "pm2_5": [round(aqi(h) / 3.0, 1) for h in hours],
                   "pm10": [round(aqi(h) / 2.0, 1) for h in hours]},
    }))  # fmt: skip


async def awattar(request: web.Request) -> web.Response:
    """aWATTar's shape; the rows are quarter hours (its parser trusts start/end, never assumes 60 min).
    Like the real market: tomorrow only after 13:00 Berlin time (12:00 UTC here)."""
    now = datetime.now(UTC)
    start = datetime.fromtimestamp(int(request.query.get("start", now.timestamp() * 1000)) / 1000, UTC)
    end = datetime.fromtimestamp(
        int(request.query.get("end", (now + HOUR * 24).timestamp() * 1000)) / 1000, UTC
    )
    published = now.replace(hour=23, minute=0, second=0, microsecond=0)
    published += timedelta(days=1) if now.hour >= 12 else timedelta(0)
    rows, slot = [], floor_to(start, 15)
    while slot < min(end, published):
        rows.append({"start_timestamp": int(slot.timestamp() * 1000),
                     "end_timestamp": int((slot + QUARTER).timestamp() * 1000),
                     "marketprice": price_eur_mwh(slot), "unit": "Eur/MWh"})  # fmt: skip
        slot += QUARTER
    return _json({"object": "list", "data": rows, "url": "/de/v1/marketdata"})


def _carbon_row(hour: datetime) -> dict[str, Any]:
    iso = hour.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {"zone": "DE", "carbonIntensity": carbon_g_kwh(hour), "datetime": iso, "updatedAt": iso,
            "createdAt": iso, "emissionFactorType": "lifecycle", "isEstimated": True,
            "estimationMethod": "TIME_SLICER_AVERAGE"}  # fmt: skip


def _authorised(request: web.Request) -> None:
    if request.headers.get("auth-token") != DEMO_TOKEN:
        raise web.HTTPUnauthorized(text='{"message": "Invalid token"}', content_type="application/json")


async def em_history(request: web.Request) -> web.Response:
    _authorised(request)
    now = floor_to(datetime.now(UTC), 60)
    return _json({"zone": request.query.get("zone", "DE"),
                  "history": [_carbon_row(now - (24 - i) * HOUR) for i in range(24)]})  # fmt: skip


async def em_latest(request: web.Request) -> web.Response:
    _authorised(request)
    return _json(_carbon_row(floor_to(datetime.now(UTC), 60)))


async def uk_intensity(request: web.Request) -> web.Response:
    start, end = utc_iso(request.match_info["start"]), utc_iso(request.match_info["end"])
    now = datetime.now(UTC)
    rows, slot = [], start
    while slot < end and slot < now + timedelta(hours=48):
        value = carbon_g_kwh(slot) * 0.55
        band = "very low" if value < 100 else "low" if value < 180 else "moderate" if value < 260 else "high"
        stamp = "%Y-%m-%dT%H:%MZ"
        rows.append({"from": slot.strftime(stamp), "to": (slot + 2 * QUARTER).strftime(stamp),
                     "intensity": {"forecast": round(value), "actual": round(value) if slot < now else None,
                                   "index": band}})  # fmt: skip
        slot += 2 * QUARTER
    return _json({"data": rows})


DEMO_ZONE = ZoneInfo("Europe/Berlin")
CALENDARS = [{"entity_id": "calendar.family", "name": "Family"},
             {"entity_id": "calendar.waste_collection", "name": "Waste collection"}]  # fmt: skip


_EXTRA = {"description": None, "location": None, "recurrence_id": None, "rrule": None}


def _demo_events(entity: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """A school run every weekday, a weekend away, the bins every Tuesday (all day): in HA's shape."""
    out: list[dict[str, Any]] = []
    first = start.astimezone(DEMO_ZONE).date() - timedelta(days=1)
    for n in range((end - start).days + 3):
        day = first + timedelta(days=n)

        def at(h: int, m: int = 0, plus: int = 0, d: date = day) -> datetime:
            return datetime.combine(d + timedelta(days=plus), time(h, m), DEMO_ZONE)

        if entity == "calendar.family" and day.weekday() < 5:
            out.append(_event(at(7, 30), at(8, 15), "School run", f"school-{day}"))
        if entity == "calendar.family" and day.weekday() == 4:
            out.append(_event(at(16), at(18, plus=2), "Away: weekend trip", f"away-{day}"))
        if entity == "calendar.waste_collection" and day.weekday() == 1:
            after = (day + timedelta(days=1)).isoformat()
            out.append({"start": {"date": day.isoformat()}, "end": {"date": after},
                        "summary": "Bin collection", **_EXTRA, "uid": f"bins-{day}"})  # fmt: skip
    return [e for e in out if _overlaps(e, start, end)]


def _event(begin: datetime, finish: datetime, summary: str, uid: str) -> dict[str, Any]:
    return {"start": {"dateTime": begin.isoformat()}, "end": {"dateTime": finish.isoformat()},
            "summary": summary, **_EXTRA, "uid": uid}  # fmt: skip


def _overlaps(event: dict[str, Any], start: datetime, end: datetime) -> bool:
    def moment(v: dict[str, str]) -> datetime:
        if "dateTime" in v:
            return datetime.fromisoformat(v["dateTime"])
        return datetime.combine(date.fromisoformat(v["date"]), time(0), DEMO_ZONE)

    return moment(event["start"]) < end and moment(event["end"]) > start


async def calendars(request: web.Request) -> web.Response:
    _ha_authorised(request)
    return _json(CALENDARS)


async def calendar_events(request: web.Request) -> web.Response:
    _ha_authorised(request)
    entity = request.match_info["entity_id"]
    if entity not in {c["entity_id"] for c in CALENDARS}:
        raise web.HTTPNotFound()
    start, end = utc_iso(request.query["start"]), utc_iso(request.query["end"])
    return _json(_demo_events(entity, start, end))


def _ha_authorised(request: web.Request) -> None:
    if request.headers.get("Authorization") != f"Bearer {DEMO_TOKEN}":
        raise web.HTTPUnauthorized(text="401: Unauthorized")


class DemoProviderServer:
    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/v1/forecast", forecast)
        app.router.add_get("/v1/air-quality", air_quality)
        app.router.add_get("/v1/marketdata", awattar)
        app.router.add_get("/v3/carbon-intensity/history", em_history)
        app.router.add_get("/v3/carbon-intensity/latest", em_latest)
        app.router.add_get("/intensity/{start}/{end}", uk_intensity)
        app.router.add_get("/api/calendars", calendars)
        app.router.add_get("/api/calendars/{entity_id}", calendar_events)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @staticmethod
    def settings_for(settings: DataSourcesConfig, url: str) -> DataSourcesConfig:
        """The demo's settings: every provider URL points here; carbon for the DE demo home comes
        from Electricity Maps (which needs a key, so the demo server has its own)."""
        changes: dict[str, Any] = {
            k: url for k in ("weather_url", "air_quality_url", "carbon_url", "prices_url")
        }
        if settings.carbon_provider == "auto" and not settings.electricity_maps_token:
            changes |= {"carbon_provider": "electricity_maps", "electricity_maps_token": DEMO_TOKEN}
        return replace(settings, **changes)
