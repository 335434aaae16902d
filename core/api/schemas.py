"""JSON Schema (OpenAPI 3.0 dialect) builders and the schemas the routes share.

The event schema is derived from the EnrichedEvent dataclass itself, so the API's event shape
cannot drift from the export's.
"""

from __future__ import annotations

import types
import typing
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

from core.api.spec import JsonDict
from core.models import EnrichedEvent

STR: JsonDict = {"type": "string"}
INT: JsonDict = {"type": "integer"}
NUM: JsonDict = {"type": "number"}
BOOL: JsonDict = {"type": "boolean"}
TIME: JsonDict = {"type": "string", "format": "date-time"}
ANY_OBJ: JsonDict = {"type": "object", "additionalProperties": True}


def nullable(schema: JsonDict) -> JsonDict:
    return {**schema, "nullable": True}


def arr(items: JsonDict) -> JsonDict:
    return {"type": "array", "items": items}


def obj(props: dict[str, JsonDict], required: list[str] | None = None, extra: bool = False) -> JsonDict:
    """An object; by default every property is required (the API always sends every key)."""
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
        "additionalProperties": extra,
    }


def map_of(values: JsonDict) -> JsonDict:
    return {"type": "object", "additionalProperties": values}


def _schema_for_hint(hint: Any) -> JsonDict:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        inner = [a for a in args if a is not type(None)]
        return nullable(_schema_for_hint(inner[0]))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return {"type": "string", "enum": [str(m.value) for m in hint]}
    if hint is datetime:
        return TIME
    if hint is str:
        return STR
    if hint is float:
        return NUM
    if hint is int:
        return INT
    if hint is bool:
        return BOOL
    return ANY_OBJ


# The weather at the event's time, joined on read from the data sources' observations (null when
# there was none within an hour before, or the data sources engine is off). Optional: only the
# events API adds them (traces and search results reuse the schema without them).
WEATHER_FIELDS: dict[str, JsonDict] = {
    "weather_temperature": {"type": "number", "nullable": True, "description": "°C"},
    "weather_humidity": {"type": "number", "nullable": True, "description": "%"},
    "weather_condition": {"type": "string", "nullable": True},
    "weather_wind_speed": {"type": "number", "nullable": True, "description": "m/s"},
    "weather_observed_at": {"type": "string", "format": "date-time", "nullable": True},
}


def event_schema() -> JsonDict:
    hints = typing.get_type_hints(EnrichedEvent)
    props: dict[str, JsonDict] = {"id": INT}
    props.update({f.name: _schema_for_hint(hints[f.name]) for f in fields(EnrichedEvent)})
    required = list(props)
    return obj({**props, **WEATHER_FIELDS}, required=required)


def ref(name: str) -> JsonDict:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = obj({"error": STR, "detail": STR, "correlation_id": nullable(STR)})
EVENT = event_schema()
EVENT_REF = ref("Event")
EVENT_PAGE = obj({"events": arr(EVENT_REF), "next_cursor": nullable(STR), "count": INT})
COUNT_ROW = obj({"key": nullable(STR), "count": INT})
TRACE_NODE = obj(
    {
        "context_id": STR,
        "parent_id": nullable(STR),
        "depth": INT,
        "truncated": BOOL,
        "events": arr(EVENT_REF),
        "children": arr(ref("TraceNode")),
    }
)
# Shared by reference in the OpenAPI document (the trace node refers to itself).
COMPONENTS: dict[str, JsonDict] = {"Error": ERROR, "Event": EVENT, "TraceNode": TRACE_NODE}
ENGINE_STATES = ["stopped", "starting", "running", "degraded", "failed", "disabled"]
HEALTH_STATES = ["healthy", "degraded", "unhealthy"]
DEPENDENCY = obj({"name": STR, "status": {"type": "string", "enum": HEALTH_STATES}, "detail": STR})
