"""Store records -> JSON-able dicts, with the export's field names (EnrichedEvent + `id`)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from core.models import EnrichedEvent
from core.store.query_types import StoredEvent
from core.store.serialize import event_to_json_dict


def iso(value: datetime | float | None) -> str | None:
    """UTC ISO 8601 with a Z; epoch floats are accepted too."""
    if value is None:
        return None
    dt = datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else value
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_json(event: EnrichedEvent) -> dict[str, Any]:
    """The export's own converter: the API and `main.py export` can never disagree on the shape."""
    return event_to_json_dict(event)


def stored_event_json(stored: StoredEvent) -> dict[str, Any]:
    return {"id": stored.id, **event_json(stored.event)}


def info_json(record: Any) -> dict[str, Any]:
    """A metadata dataclass (DeviceInfo, EntityInfo, ...) with datetimes as ISO and tuples as lists."""
    out: dict[str, Any] = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, datetime):
            value = iso(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out
