"""Checks on HA-shaped input: each failure is a `Rejected` with a named reason.

The checks are explicit isinstance tests (tens of ns each) so that the happy path stays cheap
and a malformed event is rejected with a useful reason instead of a traceback.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from core.jsonb import dumps_kept
from core.models import JsonDict
from core.store.codec import parse_time_us


class Reason(StrEnum):
    NOT_AN_OBJECT = "not_an_object"
    MISSING_ENTITY_ID = "missing_entity_id"
    BAD_ENTITY_ID = "bad_entity_id"
    MISSING_STATE = "missing_state"  # neither old_state nor new_state
    BAD_TIMESTAMP = "bad_timestamp"
    WRONG_TYPE = "wrong_type"
    ATTRIBUTES_TOO_LARGE = "attributes_too_large"
    NOT_SERIALIZABLE = "not_serializable"


class Rejected(Exception):
    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail


def as_dict(value: Any, what: str) -> JsonDict:
    if not isinstance(value, dict):
        raise Rejected(Reason.WRONG_TYPE, f"{what} is {type(value).__name__}, expected an object")
    return value


def opt_dict(value: Any, what: str) -> JsonDict | None:
    return None if value is None else as_dict(value, what)


def opt_str(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise Rejected(Reason.WRONG_TYPE, f"{what} is {type(value).__name__}, expected a string")


def entity_id_of(value: Any) -> str:
    if value is None or value == "":
        raise Rejected(Reason.MISSING_ENTITY_ID)
    if not isinstance(value, str):
        raise Rejected(Reason.WRONG_TYPE, f"entity_id is {type(value).__name__}")
    if "." not in value:
        raise Rejected(Reason.BAD_ENTITY_ID, value[:80])
    return value


def time_us_of(value: Any, what: str) -> int:
    """Parse an ISO 8601 timestamp to epoch µs."""
    if not isinstance(value, str):
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what} is {type(value).__name__}")
    try:
        return parse_time_us(value)
    except ValueError:
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what}={value[:40]!r}") from None


def epoch_us_of(value: Any, what: str) -> int:
    """Convert an epoch-seconds number (history rows) to µs."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what} is {type(value).__name__}")
    try:
        return round(value * 1_000_000)
    except (ValueError, OverflowError):
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what}={value!r}") from None


def attributes_json(value: Any, limit: int) -> tuple[JsonDict, bytes]:
    """Return the attributes and their JSON (stored verbatim); reject oversize or odd ones."""
    attrs: JsonDict = {} if value is None else as_dict(value, "attributes")
    try:
        encoded = dumps_kept(attrs)  # kept in queues and the writer's attribute cache
    except TypeError as err:
        raise Rejected(Reason.NOT_SERIALIZABLE, str(err)) from None
    if len(encoded) > limit:
        raise Rejected(Reason.ATTRIBUTES_TOO_LARGE, f"{len(encoded)} bytes > {limit}")
    return attrs, encoded


def context_ids(value: Any) -> tuple[str | None, str | None, str | None]:
    ctx = opt_dict(value, "context")
    if ctx is None:
        return None, None, None
    return (
        opt_str(ctx.get("id"), "context.id"),
        opt_str(ctx.get("parent_id"), "context.parent_id"),
        opt_str(ctx.get("user_id"), "context.user_id"),
    )
