"""Which provider serves each source: the config's choice, or for "auto" a suggestion from the
country (GB: Octopus Agile and UK Carbon Intensity; DE/AT: aWATTar; DK: Energi Data Service;
elsewhere ENTSO-E or Electricity Maps when their token is set)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from core.config import DataSourcesConfig
from core.datasources.model import Location, Source
from core.datasources.providers.awattar import Awattar
from core.datasources.providers.base import Provider
from core.datasources.providers.electricity_maps import ElectricityMaps
from core.datasources.providers.energi_data_service import EnergiDataService
from core.datasources.providers.entsoe import Entsoe
from core.datasources.providers.met_no import MetNo
from core.datasources.providers.octopus import OctopusAgile
from core.datasources.providers.open_meteo import OpenMeteoAirQuality, OpenMeteoWeather
from core.datasources.providers.openweathermap import OpenWeatherMap
from core.datasources.providers.tibber import Tibber
from core.datasources.providers.uk_carbon import UkCarbonIntensity

PROVIDERS: Mapping[Source, Mapping[str, type[Provider]]] = {
    Source.WEATHER: {"open_meteo": OpenMeteoWeather, "openweathermap": OpenWeatherMap, "met_no": MetNo},
    Source.AIR_QUALITY: {"open_meteo": OpenMeteoAirQuality},
    Source.CARBON: {"uk_carbon": UkCarbonIntensity, "electricity_maps": ElectricityMaps},
    Source.PRICES: {
        "awattar": Awattar,
        "octopus": OctopusAgile,
        "energi_data_service": EnergiDataService,
        "entsoe": Entsoe,
        "tibber": Tibber,
    },
}
EU_BIDDING = {"BE", "NL", "FR", "PL", "LU", "SE", "FI", "NO", "IT", "ES", "PT", "CZ", "SK", "HU", "SI", "HR"}


@dataclass(frozen=True, slots=True)
class Choice:
    source: Source
    provider: str  # "" when none fits
    reason: str  # why (shown when no provider is chosen, or how "auto" decided)


def suggest(country: str, settings: DataSourcesConfig) -> dict[Source, Choice]:
    """The "auto" suggestions for a country."""
    c = country.upper()
    if c == "GB":
        price, carbon = "octopus", "uk_carbon"
    else:
        price = {"DE": "awattar", "AT": "awattar", "DK": "energi_data_service"}.get(c, "")
        carbon = "electricity_maps" if settings.electricity_maps_token else ""
    if not price and settings.tibber_token:
        price = "tibber"
    elif not price and settings.entsoe_token and c in EU_BIDDING:
        price = "entsoe"
    why = f"suggested for country {c or 'unknown'}"
    where = c or "an unknown country"
    no_price = f"no keyless price provider for {where}; set an ENTSO-E or Tibber token"
    no_carbon = f"no keyless carbon provider for {where}; set an Electricity Maps token"
    return {
        Source.PRICES: Choice(Source.PRICES, price, why if price else no_price),
        Source.CARBON: Choice(Source.CARBON, carbon, why if carbon else no_carbon),
    }


def choose(
    settings: DataSourcesConfig, location: Location | None, *, calendar: str = ""
) -> dict[Source, Choice]:
    """`calendar` names the calendar provider there is ("home_assistant", "ics", both joined by
    "+"), or is "" when neither HA's URL and token nor an ICS URL is known."""
    configured = {
        Source.WEATHER: settings.weather_provider,
        Source.AIR_QUALITY: settings.air_quality_provider,
        Source.CARBON: settings.carbon_provider,
        Source.PRICES: settings.price_provider,
    }
    auto = suggest(location.country if location else "", settings)
    out: dict[Source, Choice] = {}
    for source, name in configured.items():
        if name == "off" or not settings.enabled:
            out[source] = Choice(source, "", "turned off")
        elif name == "auto":
            out[source] = auto[source]
        else:
            out[source] = Choice(source, name, "configured")
    if not settings.enabled or not settings.calendar_enabled:
        out[Source.CALENDAR] = Choice(Source.CALENDAR, "", "turned off")
    elif not calendar:
        out[Source.CALENDAR] = Choice(
            Source.CALENDAR, "", "needs Home Assistant's URL and token, or calendar_ics_url"
        )
    else:
        out[Source.CALENDAR] = Choice(Source.CALENDAR, calendar, "configured calendars")
    return out


def provider_for(choice: Choice) -> Provider | None:
    kinds = PROVIDERS.get(choice.source, {})
    cls = kinds.get(choice.provider)
    return cls() if cls else None


def base_url(provider: Provider, settings: DataSourcesConfig, location: Location | None) -> str:
    overrides = {
        Source.WEATHER: settings.weather_url,
        Source.AIR_QUALITY: settings.air_quality_url,
        Source.CARBON: settings.carbon_url,
        Source.PRICES: settings.prices_url,
    }
    url = overrides.get(provider.source) or provider.default_url
    if (
        not overrides.get(provider.source)
        and provider.name == "awattar"
        and location
        and location.country == "AT"
    ):
        url = "https://api.awattar.at"
    return url.rstrip("/")


def cache_key(source: Source, provider: str, settings: DataSourcesConfig, location: Location | None) -> str:
    """What the cached data of a source depends on: its provider and the settings that select the
    series (zone, region, tariff, place). A cache made under another key is dropped at start, so a
    change from DK1 to DK2 never shows DK1's prices as DK2's."""
    where = ""
    if location is not None and location.latitude is not None and location.longitude is not None:
        where = f"{location.latitude:.2f},{location.longitude:.2f}"
    country = location.country if location else ""
    parts = {
        Source.WEATHER: (where,),
        Source.AIR_QUALITY: (where,),
        Source.CARBON: (str(settings.carbon_region), settings.carbon_zone or country),
        Source.PRICES: (
            settings.price_zone or country,
            settings.octopus_region,
            settings.octopus_product,
            where,
        ),
        # The ICS URL may hold a private token: only a digest of it goes into sources.db.
        Source.CALENDAR: (
            ",".join(sorted(settings.calendar_entities)),
            hashlib.sha256(settings.calendar_ics_url.encode()).hexdigest()[:12]
            if settings.calendar_ics_url
            else "",
        ),
    }[source]
    return "|".join((provider, *parts))
