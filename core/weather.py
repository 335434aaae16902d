"""The weather at a moment, for "weather on every event": the latest observation at or before
the moment, if it is recent enough; otherwise nothing (a missing or stale observation gives nulls,
never a guess). A building block (layer 0): the store's export, the InfluxDB sender and the data
sources engine all use it, so it knows no engine.

Events do not store weather: an event's own `time_fired` is its reference to the observation
row (observations live in sources.db, one row per weather fetch, ~40 bytes per 15 minutes), so the
event rows stay exactly as they are (0 bytes per event) and the ingest path does no work at all.
Readers (export, the events API, InfluxDB points) join on read with `WeatherIndex.at`.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

SOURCES_DB = "sources.db"  # the data sources engine's file in the data dir, observations included
MAX_AGE = timedelta(minutes=60)  # an observation older than this at the event's time is stale
FIELDS = ("weather_temperature", "weather_humidity", "weather_condition", "weather_wind_speed",
          "weather_observed_at")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Observation:
    observed_at: datetime  # aware UTC: the start of the interval it describes
    provider: str
    temperature: float | None  # °C
    humidity: float | None  # %
    wind_speed: float | None  # m/s
    condition: str | None

    def fields(self) -> dict[str, Any]:
        """The `weather_*` fields an event carries (export, API, InfluxDB)."""
        return {
            "weather_temperature": self.temperature,
            "weather_humidity": self.humidity,
            "weather_condition": self.condition,
            "weather_wind_speed": self.wind_speed,
            "weather_observed_at": self.observed_at.isoformat().replace("+00:00", "Z"),
        }


NO_WEATHER: Mapping[str, Any] = MappingProxyType(dict.fromkeys(FIELDS))


def observation_from(current: Mapping[str, Any], provider: str) -> Observation | None:
    """An observation from a weather source's `current` reading, or None when it has no time."""
    when = current.get("observed_at")
    if not isinstance(when, str):
        return None

    def num(key: str) -> float | None:
        value = current.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    condition = current.get("condition")
    moment = datetime.fromisoformat(when)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return Observation(moment, provider, num("temperature"), num("humidity"), num("wind_speed"),
                       condition if isinstance(condition, str) else None)  # fmt: skip


class WeatherIndex:
    """Observations sorted by time; `at` is a binary search over epoch seconds (no I/O), safe to call
    per event. `fields_at` returns a shared, precomputed mapping: callers copy it, never change it."""

    def __init__(self, observations: Iterable[Observation] = (), max_age: timedelta = MAX_AGE) -> None:
        self.max_age_s = max_age.total_seconds()
        self._obs: list[Observation] = []
        self._times: list[float] = []
        self._fields: list[Mapping[str, Any]] = []
        for obs in sorted(observations, key=lambda o: o.observed_at):
            self.add(obs)

    def __len__(self) -> int:
        return len(self._obs)

    def add(self, obs: Observation) -> None:
        t = obs.observed_at.timestamp()
        i = bisect.bisect_left(self._times, t)
        if i < len(self._times) and self._times[i] == t:
            self._obs[i], self._fields[i] = obs, obs.fields()  # the same interval again: newer wins
            return
        self._times.insert(i, t)
        self._obs.insert(i, obs)
        self._fields.insert(i, obs.fields())

    def trim(self, before: datetime) -> None:
        i = bisect.bisect_left(self._times, before.timestamp())
        del self._times[:i], self._obs[:i], self._fields[:i]

    def _index(self, moment: datetime) -> int:
        t = moment.timestamp()
        i = bisect.bisect_right(self._times, t) - 1
        return -1 if i < 0 or t - self._times[i] > self.max_age_s else i

    def at(self, moment: datetime) -> Observation | None:
        i = self._index(moment)
        return None if i < 0 else self._obs[i]

    def fields_at(self, moment: datetime) -> Mapping[str, Any]:
        i = self._index(moment)
        return NO_WEATHER if i < 0 else self._fields[i]


def read_observations(path: Path, start: datetime, end: datetime) -> list[Observation]:
    """Observations from sources.db through a read-only connection (for `export`, which runs while
    the app may be writing); none when the file or its table does not exist yet."""
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        rows = conn.execute(
            "SELECT observed_at, provider, temperature, humidity, wind_speed, condition FROM observations"
            " WHERE observed_at >= ? AND observed_at < ? ORDER BY observed_at",
            # epoch arithmetic: an event stamped year 1 or 9999 must not overflow a datetime
            (int(start.timestamp() - MAX_AGE.total_seconds()), int(end.timestamp()) + 1),
        ).fetchall()
    except sqlite3.Error:  # an older file without the table
        return []
    finally:
        conn.close()
    return [Observation(datetime.fromtimestamp(r[0], UTC), r[1], r[2], r[3], r[4], r[5]) for r in rows]


def weather_fields_for(data_dir: Path, times: Sequence[datetime]) -> list[Mapping[str, Any]]:
    """The `weather_*` fields for events fired at `times`, read from sources.db (blocking: run it
    in a thread from the event loop). Nulls where there is no observation within MAX_AGE before."""
    if not times:
        return []
    index = WeatherIndex(read_observations(data_dir / SOURCES_DB, min(times), max(times)))
    return [index.fields_at(t) for t in times]
