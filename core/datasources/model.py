"""Value types of the data sources engine: what a provider returns, how it fails, what the GUI and
the API show about each source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.slots import Slot


class Source(StrEnum):
    """The user-facing sources (the API's `{source}` and the tab's cards)."""

    WEATHER = "weather"
    AIR_QUALITY = "air_quality"
    CARBON = "carbon"
    PRICES = "prices"
    CALENDAR = "calendar"


# Series names: a provider may return more than the SeriesKind values ("us_aqi", "pm2_5", ...).
Series = Mapping[str, tuple[Slot, ...]]
Labels = Mapping[str, Mapping[datetime, str]]  # a word per slot start: carbon band, Tibber level


@dataclass(frozen=True, slots=True)
class Fetched:
    """One successful fetch, already normalised: slots in UTC with named units, and a `current`
    reading (the latest observation: values plus `observed_at` as ISO text)."""

    series: Series = field(default_factory=dict)
    labels: Labels = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)
    # When set, every listed series is replaced over this span (even by nothing), not only where
    # new slots fall: for sources whose items can disappear (calendar events).
    replace_span: tuple[datetime, datetime] | None = None

    @property
    def slot_count(self) -> int:
        return sum(len(s) for s in self.series.values())


class ProviderError(Exception):
    """A fetch that failed; `message` never contains a key or token."""

    retry_after_s: float | None = None
    permanent = False  # a bad key or parameter: retrying soon cannot help


class RateLimited(ProviderError):
    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotPublished(ProviderError):
    """The provider answered but has no data yet (204 before publication, ENTSO-E code 999)."""


class AuthError(ProviderError):
    permanent = True


class NotConfigured(ProviderError):
    """A setting is missing (a location, a zone): retrying cannot help until the user sets it."""

    permanent = True


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float | None  # None: unknown (weather and air quality cannot be fetched)
    longitude: float | None
    country: str = ""  # ISO 3166 alpha-2, upper case ("" unknown)
    time_zone: str = "UTC"
    currency: str = ""
    origin: str = "config"  # config | home_assistant | demo

    def coordinates(self) -> tuple[float, float]:
        if self.latitude is None or self.longitude is None:
            raise NotConfigured("no location: set data_sources.latitude and longitude")
        return self.latitude, self.longitude

    def query(self, lat: str = "latitude", lon: str = "longitude") -> dict[str, str]:
        """Coordinates as query parameters, 4 decimals (met.no refuses more; ~11 m is plenty)."""
        la, lo = self.coordinates()
        return {lat: f"{la:.4f}", lon: f"{lo:.4f}"}


class SourceState(StrEnum):
    OK = "ok"
    STALE = "stale"  # last fetch failed, cached data still shown with its age
    ERROR = "error"  # failing and no data
    RATE_LIMITED = "rate_limited"
    WAITING = "waiting"  # not published yet
    NEVER = "never"  # enabled, no fetch finished yet
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    source: Source
    provider: str  # "" when none is chosen
    enabled: bool
    state: SourceState
    detail: str = ""
    last_success: datetime | None = None
    data_age_s: float | None = None
    next_fetch: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    rate_limited_until: datetime | None = None
    circuit_open: bool = False
    failures: int = 0
    slots: int = 0
    covers_until: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat().replace("+00:00", "Z")

        return {
            "source": self.source.value,
            "provider": self.provider,
            "enabled": self.enabled,
            "status": self.state.value,
            "detail": self.detail,
            "last_success": iso(self.last_success),
            "data_age_s": None if self.data_age_s is None else round(self.data_age_s, 1),
            "next_fetch": iso(self.next_fetch),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "rate_limit": {
                "limited": self.rate_limited_until is not None,
                "until": iso(self.rate_limited_until),
            },
            "circuit_open": self.circuit_open,
            "failures": self.failures,
            "slots": self.slots,
            "covers_until": iso(self.covers_until),
        }
