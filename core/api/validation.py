"""Parameter validation: every query, path and body parameter is checked against its `Param`.

Bad input becomes `BadRequest` (400 with {"error", "detail"}), never a 500 and never a silent
default: a typo such as `?entity=` instead of `?entity_id=` is reported, not ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from multidict import MultiMapping

from core.api.spec import JsonDict, Kind, Param

MAX_TIME = 253402300799.0  # 9999-12-31T23:59:59Z


class ApiError(Exception):
    """An error with its HTTP status, a short machine-readable code and a human detail."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


class BadRequest(ApiError):
    def __init__(self, detail: str, error: str = "bad_request") -> None:
        super().__init__(400, error, detail)


class NotFound(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(404, "not_found", detail)


class Conflict(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, "conflict", detail)


def parse_time(text: str) -> float:
    """ISO 8601 (naive = UTC) -> epoch seconds, clamped to 1970..9999 so later maths cannot overflow."""
    try:
        dt = datetime.fromisoformat(text.strip().upper())
    except ValueError:
        raise BadRequest(f"not an ISO 8601 time: {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        seconds = dt.timestamp()
    except (OverflowError, ValueError, OSError):
        seconds = 0.0 if dt.year < 1970 else MAX_TIME
    return min(max(seconds, 0.0), MAX_TIME)


def _check_range(p: Param, value: float) -> None:
    if p.minimum is not None and value < p.minimum:
        raise BadRequest(f"{p.name} must be >= {p.minimum:g}, got {value:g}")
    if p.maximum is not None and value > p.maximum:
        raise BadRequest(f"{p.name} must be <= {p.maximum:g}, got {value:g}")


def _check_length(p: Param, text: str) -> str:
    if not p.min_length <= len(text) <= p.max_length:
        raise BadRequest(f"{p.name} must be {p.min_length} to {p.max_length} characters long")
    if "\x00" in text:
        raise BadRequest(f"{p.name} must not contain NUL characters")
    return text


def convert_text(p: Param, raw: str) -> Any:
    """Convert one query/path string to the parameter's type."""
    if p.kind is Kind.INTEGER:
        try:
            value = int(raw.strip())
        except ValueError:
            raise BadRequest(f"{p.name} must be an integer, got {raw[:40]!r}") from None
        _check_range(p, value)
        return value
    if p.kind is Kind.NUMBER:
        try:
            number = float(raw.strip())
        except ValueError:
            raise BadRequest(f"{p.name} must be a number, got {raw[:40]!r}") from None
        if not math.isfinite(number):
            raise BadRequest(f"{p.name} must be a finite number")
        _check_range(p, number)
        return number
    if p.kind is Kind.BOOLEAN:
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise BadRequest(f"{p.name} must be true or false, got {raw[:40]!r}")
        return lowered in ("true", "1")
    if p.kind is Kind.DATETIME:
        return parse_time(raw)
    if p.kind is Kind.CSV:
        items = [item.strip() for item in raw.split(",") if item.strip()]
        bad = [item for item in items if item not in p.enum]
        if not items or bad:
            raise BadRequest(f"{p.name} must be a comma-separated list of {', '.join(p.enum)}")
        return items
    if p.kind is Kind.ENUM and raw not in p.enum:
        raise BadRequest(f"{p.name} must be one of {', '.join(p.enum)}, got {raw[:40]!r}")
    return _check_length(p, raw)


def convert_json(p: Param, value: Any) -> Any:
    """Check one JSON body value against the parameter's type."""
    if p.kind is Kind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{p.name} must be an integer")
        _check_range(p, value)
        return value
    if p.kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise BadRequest(f"{p.name} must be a finite number")
        _check_range(p, value)
        return float(value)
    if p.kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise BadRequest(f"{p.name} must be true or false")
        return value
    if not isinstance(value, str):
        raise BadRequest(f"{p.name} must be a string")
    return convert_text(p, value)


def parse_query(params: tuple[Param, ...], query: MultiMapping[str], path: Mapping[str, str]) -> JsonDict:
    """Validated values of every declared query and path parameter (defaults filled in)."""
    declared = {p.name for p in params if p.location == "query"}
    for key in query:
        # A leading underscore is a client's cache buster (`?_=123`): tolerated, never used.
        if key not in declared and not key.startswith("_"):
            raise BadRequest(f"unknown query parameter {key!r}", "unknown_parameter")
    out: JsonDict = {}
    for p in params:
        if p.location == "body":
            continue
        values = query.getall(p.name, []) if p.location == "query" else [path[p.name]]
        if len(values) > 1:
            raise BadRequest(f"{p.name} given more than once")
        out[p.name] = _value_or_default(p, values[0] if values else None, convert_text)
    return out


def parse_body(params: tuple[Param, ...], body: Any) -> JsonDict:
    """Validated values of a JSON object body against the route's body parameters."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    declared = {p.name: p for p in params if p.location == "body"}
    unknown = sorted(set(body) - set(declared))
    if unknown:
        raise BadRequest(f"unknown body field {unknown[0]!r}", "unknown_parameter")
    return {name: _value_or_default(p, body.get(name), convert_json) for name, p in declared.items()}


def _value_or_default(p: Param, raw: Any, convert: Any) -> Any:
    if raw is None:
        if p.required:
            raise BadRequest(f"{p.name} is required", "missing_parameter")
        return p.default
    return convert(p, raw)
