"""When to fetch next: per-provider periods, day-ahead publication times, jittered backoff and a
circuit breaker. Pure functions of the time and the outcome, so they are tested without waiting."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.datasources.model import NotPublished, ProviderError, RateLimited


@dataclass(frozen=True, slots=True)
class Tuning:
    """Not user settings: the provider-friendly defaults; tests shorten them."""

    backoff_initial_s: float = 60.0
    backoff_max_s: float = 3600.0
    jitter: float = 0.2  # ±20 %: many installs must not retry in step
    breaker_failures: int = 5  # consecutive failures that open the circuit
    breaker_open_s: float = 1800.0  # then one trial call after this long
    auth_retry_s: float = 6 * 3600.0  # a rejected key is not retried sooner (the user must fix it)
    price_retry_s: float = 1200.0  # after publication, until tomorrow's slots appear
    not_published_retry_s: float = 900.0


@dataclass(frozen=True, slots=True)
class Publication:
    """A day-ahead market's daily publication: wall time in its zone, and the zone of its days."""

    zone: str
    at: time


SDAC = Publication("Europe/Berlin", time(13, 0))  # EU coupling: results ~12:45-13:00 CET
AGILE = Publication("Europe/London", time(16, 0))  # Octopus publishes ~16:00 UK, sometimes late
PUBLICATIONS = {"octopus": AGILE}


def jittered(seconds: float, tuning: Tuning, rng: random.Random) -> float:
    return seconds * (1.0 + rng.uniform(-tuning.jitter, tuning.jitter))


def next_price_fetch(provider: str, covered_until: datetime | None, now: datetime) -> datetime | None:
    """The next fetch of day-ahead prices after a success, or None for "retry soon": when tomorrow
    is covered, at tomorrow's publication; before today's publication, at it; after it (tomorrow
    still missing) None, and the caller retries every `price_retry_s`."""
    pub = PUBLICATIONS.get(provider, SDAC)
    zone = ZoneInfo(pub.zone)
    local = now.astimezone(zone)
    today_pub = datetime.combine(local.date(), pub.at, zone)
    end_of_tomorrow = datetime.combine(local.date() + timedelta(days=2), time(0), zone)
    if covered_until is not None and covered_until >= end_of_tomorrow:
        return datetime.combine(local.date() + timedelta(days=1), pub.at, zone).astimezone(now.tzinfo)
    if local < today_pub:
        return today_pub.astimezone(now.tzinfo)
    return None


@dataclass(slots=True)
class Breaker:
    """Counts consecutive failures; opens after `breaker_failures`, then lets one trial through."""

    tuning: Tuning
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    open_until: datetime | None = None

    def success(self) -> None:
        self.failures = 0
        self.open_until = None

    def failure(self, err: ProviderError, now: datetime) -> datetime:
        """Counts the failure and returns when to try again."""
        t = self.tuning
        if isinstance(err, NotPublished):  # an answer, not an outage: no backoff, no breaker
            return now + timedelta(seconds=jittered(t.not_published_retry_s, t, self.rng))
        self.failures += 1
        if err.permanent:  # a bad key or a missing setting: the user must act first
            delay = t.auth_retry_s
        else:
            delay = min(t.backoff_max_s, t.backoff_initial_s * 2.0 ** min(self.failures - 1, 30))
            delay = jittered(delay, t, self.rng)
        if isinstance(err, RateLimited) and err.retry_after_s is not None:
            delay = max(delay, err.retry_after_s)  # never sooner than the provider asked
        if self.failures >= t.breaker_failures:
            delay = max(delay, t.breaker_open_s)
            self.open_until = now + timedelta(seconds=delay)
        return now + timedelta(seconds=delay)

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until
