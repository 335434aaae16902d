"""Hand-written InfluxDB line protocol for `EnrichedEvent` (12x faster than influxdb_client.Point).

The schema is documented in docs/influxdb-schema.md. Tags come first in key order (what InfluxDB
sorts to anyway); the escaped tag prefix is cached per (measurement, tag values), so a steady
entity costs one dict lookup for its tags. Empty tags and absent fields are omitted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from math import isfinite
from typing import Any, Final

import orjson

from core.models import EnrichedEvent, EventSource

# InfluxDB type of every field we write; `value` and `duration_in_state` are always floats and
# everything else a string, so no entity can flip a field's type (see docs/influxdb-schema.md).
FIELD_TYPES: Final[dict[str, str]] = {
    "state": "string",
    "value": "float",
    "old_state": "string",
    "attributes": "string",
    "duration_in_state": "float",
    "context_id": "string",
    "context_parent_id": "string",
    "context_user_id": "string",
    "device_manufacturer": "string",
    "device_model": "string",
    "source": "string",
    # the weather at time_fired (core/weather.py); absent when unknown
    "weather_temperature": "float",
    "weather_humidity": "float",
    "weather_wind_speed": "float",
    "weather_condition": "string",
    "weather_observed_at": "string",
}
TAG_KEYS: Final = (
    "area_id",
    "device_class",
    "device_id",
    "domain",
    "entity_id",
    "event_type",
    "floor_id",
    "unit",
)
MAX_STRING_BYTES: Final = 64_000  # InfluxDB 2.x/3.x limit string fields to 64 KiB
_TAG_ESCAPES: Final = str.maketrans({",": "\\,", "=": "\\=", " ": "\\ ", "\\": "/", "\n": " ", "\r": " "})
_MEASUREMENT_ESCAPES: Final = str.maketrans({",": "\\,", " ": "\\ ", "\\": "/", "\n": " ", "\r": " "})


def escape_tag(value: str) -> str:
    """Tag keys and values: `,`, `=` and space are backslash-escaped; `\\` becomes `/` and newlines
    spaces, because 1.x and 2.x disagree on backslash escapes in tags."""
    return value.translate(_TAG_ESCAPES)


def escape_measurement(value: str) -> str:
    return value.translate(_MEASUREMENT_ESCAPES)


def quote_string(value: str) -> str:
    """A string field value, quoted: only `\\` and `"` need escaping (newlines are legal inside quotes)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if '"' in value:
        value = value.replace('"', '\\"')
    return f'"{value}"'


def time_ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, exact to the microsecond (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1_000_000) * 1000


def attributes_json(attributes: dict[str, object]) -> str:
    """The attributes as one JSON string; an oversized one becomes a marker (the local store keeps it)."""
    text = orjson.dumps(attributes, option=orjson.OPT_NON_STR_KEYS).decode()
    if len(text) > MAX_STRING_BYTES // 4 and len(text.encode()) > MAX_STRING_BYTES:
        return orjson.dumps({"_truncated": True, "bytes": len(text.encode())}).decode()
    return text


class LineEncoder:
    """Encodes events as line protocol; one instance per measurement, not thread-safe (one loop)."""

    def __init__(self, measurement: str = "state_changed", *, max_cached: int = 100_000) -> None:
        self.measurement = measurement
        self._escaped_measurement = escape_measurement(measurement)
        self._prefixes: dict[tuple[str | None, ...], str] = {}
        self._max_cached = max_cached

    def encode(self, ev: EnrichedEvent, weather: Mapping[str, Any] | None = None) -> str:
        fields = self._fields(ev)
        if weather:
            fields += _weather_fields(weather)
        return f"{self._prefix(ev)} {','.join(fields)} {time_ns(ev.time_fired)}"

    def encode_many(
        self, events: Sequence[EnrichedEvent], weather: Sequence[Mapping[str, Any]] | None = None
    ) -> list[str]:
        if weather is None:
            return [self.encode(ev) for ev in events]
        return [self.encode(ev, w) for ev, w in zip(events, weather, strict=True)]

    def _prefix(self, ev: EnrichedEvent) -> str:
        key = (
            ev.area_id,
            ev.device_class,
            ev.device_id,
            ev.domain,
            ev.entity_id,
            ev.event_type,
            ev.floor_id,
            ev.unit,
        )
        prefix = self._prefixes.get(key)
        if prefix is None:
            if len(self._prefixes) >= self._max_cached:
                self._prefixes.clear()
            tags = [f"{name}={escape_tag(v)}" for name, v in zip(TAG_KEYS, key, strict=True) if v]
            prefix = ",".join([self._escaped_measurement, *tags])
            self._prefixes[key] = prefix
        return prefix

    @staticmethod
    def _fields(ev: EnrichedEvent) -> list[str]:
        q = quote_string
        out: list[str] = []
        if ev.state is not None:
            out.append("state=" + q(ev.state))
        value = ev.value
        if value is not None and isfinite(value):
            out.append(f"value={value!r}")  # no "i" suffix: InfluxDB reads 5 as the float 5.0
        if ev.old_state is not None:
            out.append("old_state=" + q(ev.old_state))
        if ev.attributes:
            out.append("attributes=" + q(attributes_json(ev.attributes)))
        duration = ev.duration_in_state
        if duration is not None and isfinite(duration):
            out.append(f"duration_in_state={duration!r}")
        if ev.context_id:
            out.append("context_id=" + q(ev.context_id))
        if ev.context_parent_id:
            out.append("context_parent_id=" + q(ev.context_parent_id))
        if ev.context_user_id:
            out.append("context_user_id=" + q(ev.context_user_id))
        if ev.device_manufacturer:
            out.append("device_manufacturer=" + q(ev.device_manufacturer))
        if ev.device_model:
            out.append("device_model=" + q(ev.device_model))
        out.append(_SOURCE_FIELDS.get(ev.source) or "source=" + q(str(ev.source)))
        return out

    @staticmethod
    def fields_of(ev: EnrichedEvent) -> set[str]:
        """The field names `encode` writes for this event (used to find a field-type conflict's points)."""
        return {f.partition("=")[0] for f in LineEncoder._fields(ev)}


def _weather_fields(weather: Mapping[str, Any]) -> list[str]:
    """The known weather_* values as fields; an unknown one is left out (line protocol has no null)."""
    out: list[str] = []
    for name, value in weather.items():
        if value is None:
            continue
        if isinstance(value, str):
            out.append(f"{name}={quote_string(value)}")
        elif isinstance(value, int | float) and isfinite(value):
            out.append(f"{name}={float(value)!r}")
    return out


_SOURCE_FIELDS: Final = {source: f'source="{source.value}"' for source in EventSource}


def join_lines(lines: Iterable[str]) -> bytes:
    return "\n".join(lines).encode()
