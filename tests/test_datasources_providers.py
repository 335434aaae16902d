"""Every provider against a real local server serving its exact response shape: the normalised
slots, their units and hand-computed conversions, and each documented failure mode."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio

from core.config import DataSourcesConfig
from core.datasources.model import AuthError, Location, NotPublished, ProviderError, RateLimited
from core.datasources.providers.awattar import Awattar
from core.datasources.providers.base import FetchContext, Provider
from core.datasources.providers.electricity_maps import ElectricityMaps
from core.datasources.providers.energi_data_service import EnergiDataService
from core.datasources.providers.entsoe import Entsoe
from core.datasources.providers.ha_calendar import HaCalendar
from core.datasources.providers.met_no import MetNo
from core.datasources.providers.octopus import OctopusAgile
from core.datasources.providers.open_meteo import OpenMeteoAirQuality, OpenMeteoWeather
from core.datasources.providers.openweathermap import OpenWeatherMap, parse_forecast
from core.datasources.providers.tibber import Tibber
from core.datasources.providers.uk_carbon import UkCarbonIntensity
from core.slots import Slot
from tests.provider_server import FIXTURES, ProviderServer, Reply, fixture, provider_server

__all__ = ["provider_server"]

BERLIN = Location(52.52, 13.41, "DE", "Europe/Berlin", "EUR")
NOW = datetime(2025, 11, 3, 14, 50, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


Fetch = Callable[..., Any]


@pytest_asyncio.fixture
async def fetch(provider_server: ProviderServer) -> AsyncIterator[Fetch]:
    async with aiohttp.ClientSession() as session:

        async def run(provider: Provider, location: Location = BERLIN, **settings: Any) -> Any:
            cfg = replace(DataSourcesConfig(), timeout_s=5.0, **settings)
            ctx = FetchContext(session, location, cfg, provider_server.url, NOW)
            return await provider.fetch(ctx)

        yield run


# -- weather ---------------------------------------------------------------------------------------


async def test_open_meteo_weather_units_and_preceding_hour(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/v1/forecast", fixture("open_meteo_forecast.json"))
    got = await fetch(OpenMeteoWeather())
    temp = got.series["temperature"]
    assert [s.start for s in temp[:2]] == [utc(2025, 11, 3, 12), utc(2025, 11, 3, 13)]
    assert temp[0].end == utc(2025, 11, 3, 13) and temp[0].unit == "°C" and temp[0].value == 9.1
    assert temp[3].value is None  # null stays unknown, never 0
    # km/h -> m/s: 14.4 / 3.6 = 4.0, 3.6 / 3.6 = 1.0
    wind = got.series["wind_speed"]
    assert (wind[1].value, wind[5].value, wind[1].unit) == (4.0, 1.0, "m/s")
    # Precipitation labelled T14:00 is the hour 13:00-14:00
    rain = {s.start: s for s in got.series["precipitation"]}
    assert rain[utc(2025, 11, 3, 13)].value == 1.2 and rain[utc(2025, 11, 3, 13)].end == utc(2025, 11, 3, 14)
    assert got.current["temperature"] == 9.8 and got.current["wind_speed"] == 4.0
    assert got.current["condition"] == "overcast"
    assert got.current["observed_at"] == "2025-11-03T14:45:00+00:00"
    sent = provider_server.seen[0].query
    assert sent["latitude"] == "52.5200" and sent["timezone"] == "GMT"


async def test_open_meteo_naive_local_times_follow_the_zone_across_dst(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/v1/forecast", fixture("open_meteo_forecast_local_dst.json"))
    got = await fetch(OpenMeteoWeather())
    starts = [s.start for s in got.series["temperature"]]
    # 00:00 and 01:00 CET are 23:00 and 00:00 UTC; 03:00 and 04:00 CEST are 01:00 and 02:00 UTC
    # (a fixed utc_offset_seconds of 7200 would put the first two an hour off).
    assert starts == [utc(2026, 3, 28, 23), utc(2026, 3, 29, 0), utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)]


async def test_open_meteo_429_is_rate_limited_with_retry_after(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/v1/forecast", fixture("open_meteo_429.json", 429, **{"Retry-After": "60"}))
    with pytest.raises(RateLimited) as err:
        await fetch(OpenMeteoWeather())
    assert err.value.retry_after_s == 60.0 and "Minutely API request limit" in str(err.value)


async def test_open_meteo_air_quality_scales_and_micro_sign(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/v1/air-quality", fixture("open_meteo_air_quality.json"))
    got = await fetch(OpenMeteoAirQuality())
    assert [s.value for s in got.series["aqi"]] == [29, None, 27]
    assert got.series["aqi"][0].unit == "European AQI" and got.series["us_aqi"][0].unit == "US AQI"
    assert got.series["pm2_5"][0].unit == "µg/m³"  # U+00B5, not Open-Meteo's Greek mu
    assert got.current["aqi"] == 31 and got.current["us_aqi"] == 46


async def test_openweathermap_current_and_cod_errors(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/data/2.5/weather", fixture("owm_current.json"))
    provider_server.on("/data/2.5/forecast", fixture("owm_forecast.json"))
    got = await fetch(OpenWeatherMap(), owm_api_key="k-123")
    assert got.current["temperature"] == 9.6 and got.current["wind_speed"] == 4.1
    assert got.current["observed_at"] == "2025-11-03T13:52:11+00:00"  # dt 1762177931
    assert got.current["condition"] == "broken clouds" and got.current["precipitation_1h"] == 0.21
    assert provider_server.seen[0].query["units"] == "metric"
    provider_server.on("/data/2.5/weather", fixture("owm_401.json", 401))
    with pytest.raises(AuthError):
        await fetch(OpenWeatherMap(), owm_api_key="k-123")
    provider_server.on("/data/2.5/weather", fixture("owm_404.json", 200))  # error body with HTTP 200
    with pytest.raises(ProviderError, match="cod 404: city not found"):
        await fetch(OpenWeatherMap(), owm_api_key="k-123")


async def test_openweathermap_forecast_is_48h_of_native_3h_slots(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/data/2.5/weather", fixture("owm_current.json"))
    provider_server.on("/data/2.5/forecast", fixture("owm_forecast.json"))
    got = await fetch(OpenWeatherMap(), owm_api_key="k-123")
    temps = got.series["temperature"]
    # the observation (dt 13:52:11) as a 10-minute slot, then the forecast from 15:00 UTC
    assert temps[0] == Slot(utc(2025, 11, 3, 13, 52, 11), utc(2025, 11, 3, 14, 2, 11), 9.6, "°C")
    forecast = temps[1:]
    assert forecast[0] == Slot(utc(2025, 11, 3, 15), utc(2025, 11, 3, 18), 9.0, "°C")
    assert all(s.end - s.start == timedelta(hours=3) for s in forecast)  # never made hourly
    # 40 entries (5 days) in the body; only those starting within 48 h of 14:50 are kept
    assert len(forecast) == 16 and forecast[-1].start == utc(2025, 11, 5, 12)
    rain = got.series["precipitation"]
    # rain.3h is the 3 h before dt: the 18:00 entry's 0.25 mm fell 15:00-18:00
    assert rain[0] == Slot(utc(2025, 11, 3, 12), utc(2025, 11, 3, 15), 0.0, "mm")  # none forecast
    assert rain[1] == Slot(utc(2025, 11, 3, 15), utc(2025, 11, 3, 18), 0.25, "mm")
    assert rain[4] == Slot(utc(2025, 11, 4, 0), utc(2025, 11, 4, 3), 1.4, "mm")  # 1.0 rain + 0.4 snow
    assert got.series["wind_speed"][1].value == 3.0 and got.series["wind_speed"][1].unit == "m/s"
    forecast_query = next(s for s in provider_server.seen if s.path == "/data/2.5/forecast").query
    assert forecast_query["units"] == "metric" and forecast_query["appid"] == "k-123"


def test_openweathermap_kelvin_and_imperial_are_normalised() -> None:
    body = orjson.loads((FIXTURES / "owm_forecast_standard.json").read_bytes())
    slots = parse_forecast(body, NOW, "standard")
    assert slots["temperature"][0].value == 9.0  # 282.15 K
    assert slots["wind_speed"][0].value == 3.0  # standard wind is already m/s
    body["list"][0]["main"]["temp"] = 50.0
    body["list"][0]["wind"]["speed"] = 10.0
    imperial = parse_forecast(body, NOW, "imperial")
    assert imperial["temperature"][0].value == 10.0  # 50 °F
    assert imperial["wind_speed"][0].value == 4.47  # 10 mph


async def test_openweathermap_forecast_failures(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/data/2.5/weather", fixture("owm_current.json"))
    provider_server.on("/data/2.5/forecast", fixture("owm_404.json", 200))  # error body, HTTP 200
    with pytest.raises(ProviderError, match="cod 404: city not found"):
        await fetch(OpenWeatherMap(), owm_api_key="k-123")
    provider_server.on("/data/2.5/forecast", fixture("owm_401.json", 401))
    with pytest.raises(AuthError) as auth:
        await fetch(OpenWeatherMap(), owm_api_key="k-123")
    assert "k-123" not in str(auth.value)
    provider_server.on("/data/2.5/forecast", fixture("owm_429.json", 429, **{"Retry-After": "60"}))
    with pytest.raises(RateLimited) as limited:
        await fetch(OpenWeatherMap(), owm_api_key="k-123")
    assert limited.value.retry_after_s == 60


async def test_met_no_sends_user_agent_and_precipitation_is_the_next_hour(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/weatherapi/locationforecast/2.0/compact", fixture("metno_compact.json"))
    got = await fetch(MetNo(), metno_contact="me@example.org")
    assert "me@example.org" in provider_server.seen[0].headers["User-Agent"]
    assert got.series["temperature"][0].value == 9.7
    rain = got.series["precipitation"][0]
    assert (rain.start, rain.end, rain.value) == (utc(2025, 11, 3, 14), utc(2025, 11, 3, 15), 0.3)
    assert got.current["condition"] == "cloudy"


# -- carbon ----------------------------------------------------------------------------------------


async def test_uk_carbon_prefers_actual_and_keeps_the_band(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/intensity/2025-11-02T14:30Z/2025-11-05T14:30Z", fixture("uk_carbon_national.json"))
    got = await fetch(UkCarbonIntensity())
    slots = got.series["carbon"]
    assert [s.value for s in slots] == [176, 175, 96]  # actual, then forecast where actual is null
    assert slots[0].unit == "gCO2/kWh" and slots[0].minutes == 30
    assert got.labels["carbon"][utc(2025, 11, 3, 15)] == "low"


async def test_uk_carbon_regional_shape_and_errors(provider_server: ProviderServer, fetch: Fetch) -> None:
    path = "/regional/intensity/2025-11-02T14:30Z/fw48h/regionid/13"
    provider_server.on(path, fixture("uk_carbon_regional.json"))
    got = await fetch(UkCarbonIntensity(), carbon_region=13)
    assert [s.value for s in got.series["carbon"]] == [168, 61]
    assert got.labels["carbon"][utc(2025, 11, 3, 14, 30)] == "very low"
    provider_server.on(path, fixture("uk_carbon_empty.json"))  # 200 with {}
    with pytest.raises(ProviderError, match="empty"):
        await fetch(UkCarbonIntensity(), carbon_region=13)
    provider_server.on(path, fixture("uk_carbon_error.json", 400))
    with pytest.raises(ProviderError, match="No postcode match"):
        await fetch(UkCarbonIntensity(), carbon_region=13)


async def test_electricity_maps_history_and_latest(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/v3/carbon-intensity/history", fixture("electricity_maps_history.json"))
    provider_server.on("/v3/carbon-intensity/latest", fixture("electricity_maps_latest.json"))
    got = await fetch(ElectricityMaps(), electricity_maps_token="em-secret")
    assert [(s.start.hour, s.value, s.minutes) for s in got.series["carbon"]] == [
        (12, 398, 60), (13, 405, 60), (14, 412, 60)
    ]  # fmt: skip
    assert provider_server.seen[0].headers["auth-token"] == "em-secret"
    assert provider_server.seen[0].query == {"zone": "DE"}


# -- prices ----------------------------------------------------------------------------------------


async def test_awattar_eur_per_mwh_to_eur_per_kwh(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/v1/marketdata", fixture("awattar.json"))
    got = await fetch(Awattar())
    first, second = got.series["price"]
    # 92.31 EUR/MWh = 0.09231 EUR/kWh (9.231 ct/kWh, not 92.31 ct); negatives stay negative
    assert (first.value, first.unit, first.minutes) == (pytest.approx(0.09231), "EUR/kWh", 60)
    assert first.start == utc(2025, 11, 3, 23)  # 1762210800000 ms
    assert second.value == pytest.approx(-0.00305)


async def test_octopus_pence_to_gbp_two_pages_newest_first(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    path = "/v1/products/AGILE-24-10-01/electricity-tariffs/E-1R-AGILE-24-10-01-C/standard-unit-rates/"
    provider_server.on(path, fixture("octopus_page1.json"), fixture("octopus_page2.json"))
    got = await fetch(OctopusAgile())
    slots = got.series["price"]
    assert [s.start for s in slots] == [utc(2025, 11, 5, 21), utc(2025, 11, 5, 21, 30),
                                        utc(2025, 11, 5, 22), utc(2025, 11, 5, 22, 30)]  # fmt: skip
    # 24.255 p/kWh (inc. VAT) = 0.24255 GBP/kWh
    assert slots[-1].value == pytest.approx(0.24255) and slots[-1].unit == "GBP/kWh"
    assert slots[0].value == pytest.approx(0.1575) and slots[1].value == pytest.approx(-0.021)
    assert provider_server.hits(path) == 2 and provider_server.seen[1].query == {"page": "2"}


async def test_energi_data_service_naive_utc_and_96_quarters(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/dataset/DayAheadPrices", fixture("eds_dayahead.json"))
    got = await fetch(EnergiDataService(), price_zone="DK1")
    slots = got.series["price"]
    assert len(slots) == 96 and {s.minutes for s in slots} == {15}
    # TimeUTC "2025-11-03T23:00:00" is UTC (TimeDK says 00:00 local); 92.22 EUR/MWh = 0.09222 EUR/kWh
    assert slots[0].start == utc(2025, 11, 3, 23) and slots[0].value == pytest.approx(0.09222)
    assert slots[-1].end == utc(2025, 11, 4, 23)
    sent = provider_server.seen[0].query
    assert sent["filter"] == '{"PriceArea":["DK1"]}' and int(sent["limit"]) >= 300


async def test_energi_data_service_spring_dst_day_has_92_quarters(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/dataset/DayAheadPrices", fixture("eds_dayahead_dst_92.json"))
    got = await fetch(EnergiDataService(), price_zone="DK1")
    slots = got.series["price"]
    assert len(slots) == 92 and slots[-1].end - slots[0].start == timedelta(hours=23)


async def test_energi_data_service_429_and_empty(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on(
        "/dataset/DayAheadPrices", Reply(b'{"error": "too many"}', 429, (("Retry-After", "61"),))
    )
    with pytest.raises(RateLimited) as err:
        await fetch(EnergiDataService(), price_zone="DK1")
    assert err.value.retry_after_s == 61
    provider_server.on("/dataset/DayAheadPrices", Reply(b'{"total": 0, "records": []}'))
    with pytest.raises(NotPublished):
        await fetch(EnergiDataService(), price_zone="DK1")


async def test_entsoe_hourly_then_quarter_hourly_with_forward_fill(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/api", fixture("entsoe_a44.xml"))
    got = await fetch(Entsoe(), entsoe_token="tok-secret", price_zone="NL")
    slots = got.series["price"]
    hourly = [s for s in slots if s.minutes == 60]
    quarter = [s for s in slots if s.minutes == 15]
    assert len(hourly) == 24 and len(quarter) == 96 and hourly[-1].end == quarter[0].start
    q = {s.start: s.value for s in quarter}
    day = utc(2025, 9, 30, 22)
    # positions 1, 2, 5 given (92.31, 88.05, 81.7 EUR/MWh); A03 omitted 3 and 4: they repeat 88.05
    assert [q[day + timedelta(minutes=15 * i)] for i in range(5)] == pytest.approx(
        [0.09231, 0.08805, 0.08805, 0.08805, 0.0817]
    )
    assert quarter[0].unit == "EUR/kWh"
    sent = provider_server.seen[0].query
    assert sent["in_Domain"] == sent["out_Domain"] == "10YNL----------L"
    assert sent["periodStart"] == "202511021400" and sent["documentType"] == "A44"


@pytest.mark.parametrize(
    ("name", "count", "hours"), [("entsoe_dst_92.xml", 92, 23), ("entsoe_dst_100.xml", 100, 25)]
)
async def test_entsoe_clock_change_days(
    provider_server: ProviderServer, fetch: Fetch, name: str, count: int, hours: int
) -> None:
    provider_server.on("/api", fixture(name))
    got = await fetch(Entsoe(), entsoe_token="tok", price_zone="NL")
    slots = got.series["price"]  # the 100-slot file carries two series for the same slots: kept once
    assert len(slots) == count and slots[-1].end - slots[0].start == timedelta(hours=hours)
    assert all(s.value is not None for s in slots)  # compressed curve forward-filled to the end


async def test_entsoe_no_data_acknowledgement_is_not_published(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/api", fixture("entsoe_no_data.xml", 400))
    with pytest.raises(NotPublished, match="No matching data"):
        await fetch(Entsoe(), entsoe_token="tok", price_zone="NL")


async def test_tibber_total_with_offsets_and_levels(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/v1-beta/gql", fixture("tibber_prices.json"))
    got = await fetch(Tibber(), tibber_token="tib-secret")
    slots = got.series["price"]
    # "2025-11-03T00:00:00.000+01:00" is 23:00 UTC the day before; total is already EUR/kWh
    assert slots[0].start == utc(2025, 11, 2, 23) and slots[0].value == 0.2731 and slots[0].unit == "EUR/kWh"
    assert [s.minutes for s in slots] == [15, 15, 15]
    assert got.labels["price"][slots[0].start] == "CHEAP"
    seen = provider_server.seen[0]
    assert seen.method == "POST" and seen.headers["Authorization"] == "Bearer tib-secret"
    assert b"QUARTER_HOURLY" in seen.body


async def test_tibber_autumn_dst_day_has_100_quarters(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/v1-beta/gql", fixture("tibber_dst_100.json"))
    got = await fetch(Tibber(), tibber_token="tok")
    slots = got.series["price"]
    assert len(slots) == 100 and slots[0].unit == "SEK/kWh"
    assert slots[-1].end - slots[0].start == timedelta(hours=25)


async def test_tibber_unauthenticated_on_http_200(provider_server: ProviderServer, fetch: Fetch) -> None:
    provider_server.on("/v1-beta/gql", fixture("tibber_unauthenticated.json"))
    with pytest.raises(AuthError, match="UNAUTHENTICATED"):
        await fetch(Tibber(), tibber_token="tok")


async def test_204_before_publication_and_errors_never_carry_the_key(
    provider_server: ProviderServer, fetch: Fetch
) -> None:
    provider_server.on("/api", Reply(b"", 204))
    with pytest.raises(NotPublished):
        await fetch(Entsoe(), entsoe_token="tok-SECRET-1", price_zone="NL")
    provider_server.on("/api", Reply(b"<html>oops</html>", 500, content_type="text/html"))
    with pytest.raises(ProviderError) as err:
        await fetch(Entsoe(), entsoe_token="tok-SECRET-1", price_zone="NL")
    assert "tok-SECRET-1" not in str(err.value) and "500" in str(err.value)


# -- calendar --------------------------------------------------------------------------------------


async def test_home_assistant_calendars_with_the_ha_token(
    provider_server: ProviderServer, fetch: Fetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")  # all-day events are local days
    time.tzset()
    try:
        provider_server.on("/api/calendars", fixture("ha_calendars.json"))
        provider_server.on("/api/calendars/calendar.family", fixture("ha_calendar_family.json"))
        provider_server.on("/api/calendars/calendar.holidays", fixture("ha_calendar_holidays.json"))
        got = await fetch(HaCalendar(provider_server.url, "ha-SECRET-token"))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    family = got.series["calendar.family"]
    assert [(s.start, s.end, s.value, s.unit) for s in family] == [
        (utc(2025, 11, 3, 6, 30), utc(2025, 11, 3, 7, 15), 1.0, "event"),
        (utc(2025, 11, 7, 15), utc(2025, 11, 9, 17), 1.0, "event"),
    ]
    assert got.labels["calendar.family"][utc(2025, 11, 7, 15)] == "Away: weekend trip"
    holiday = got.series["calendar.holidays"][0]  # all day 5 Nov, local: 23:00 UTC the day before
    assert (holiday.start, holiday.end) == (utc(2025, 11, 4, 23), utc(2025, 11, 5, 23))
    assert [e["summary"] for e in got.current["next"]] == ["Holiday", "Away: weekend trip"]  # after NOW
    assert all(s.headers["Authorization"] == "Bearer ha-SECRET-token" for s in provider_server.seen)
    assert provider_server.seen[1].query["start"] == NOW.isoformat()
    assert got.replace_span == (NOW, NOW + timedelta(days=7))
    provider_server.on("/api/calendars", Reply(b"401: Unauthorized", 401, content_type="text/plain"))
    with pytest.raises(AuthError):
        await fetch(HaCalendar(provider_server.url, "bad"))
