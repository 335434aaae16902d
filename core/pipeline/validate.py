"""Checks on HA-shaped input: each failure is a `Rejected` with a named reason.

The checks are explicit isinstance tests (tens of ns each) so that the happy path stays cheap
and a malformed event is rejected with a useful reason instead of a traceback.

What is rejected at the edge, and why (the README's policy says the same):
* times (time_fired, last_updated, last_changed, history `lu`/`lc`) before 1970-01-01 or more than
  a day ahead of our clock: SQLite cannot hold some of them, and one event from year 9999 would
  pass for "the newest stored event" and stop every later back-fill;
* entity ids and states longer than HA's own limit (255 characters), and NUL characters in them
  (a NUL-bearing entity id can be stored but never queried back).
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from core.jsonb import dumps_kept
from core.models import JsonDict
from core.store.codec import MAX_AHEAD_US, epoch_to_us, parse_time_us

MAX_LENGTH = 255  # HA's MAX_LENGTH_STATE_ENTITY_ID and MAX_LENGTH_STATE_STATE


class Reason(StrEnum):
    NOT_AN_OBJECT = "not_an_object"
    MISSING_ENTITY_ID = "missing_entity_id"
    BAD_ENTITY_ID = "bad_entity_id"
    MISSING_STATE = "missing_state"  # neither old_state nor new_state
    BAD_TIMESTAMP = "bad_timestamp"
    WRONG_TYPE = "wrong_type"
    ATTRIBUTES_TOO_LARGE = "attributes_too_large"
    NOT_SERIALIZABLE = "not_serializable"
    TIME_OUT_OF_RANGE = "time_out_of_range"  # before 1970 or more than a day ahead
    ENTITY_ID_TOO_LONG = "entity_id_too_long"
    STATE_TOO_LONG = "state_too_long"
    NUL_CHARACTER = "nul_character"


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
    if len(value) > MAX_LENGTH:
        raise Rejected(Reason.ENTITY_ID_TOO_LONG, f"{len(value)} characters: {value[:80]!r}...")
    if "\x00" in value:
        raise Rejected(Reason.NUL_CHARACTER, f"entity_id {value[:80]!r}")
    return value


def state_text(value: str, what: str) -> str:
    """A state string within HA's limits (the caller has checked it is a str)."""
    if len(value) > MAX_LENGTH:
        raise Rejected(Reason.STATE_TOO_LONG, f"{what}: {len(value)} characters")
    if "\x00" in value:
        raise Rejected(Reason.NUL_CHARACTER, f"{what} {value[:80]!r}")
    return value


def in_range(time_us: int, what: str) -> int:
    """The time, or Rejected when it is before 1970-01-01 or more than a day ahead of now."""
    if 0 <= time_us <= time.time_ns() // 1000 + MAX_AHEAD_US:
        return time_us
    raise Rejected(Reason.TIME_OUT_OF_RANGE, f"{what} is {time_us} µs since 1970")


def time_us_of(value: Any, what: str) -> int:
    """Parse an ISO 8601 timestamp to epoch µs."""
    if not isinstance(value, str):
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what} is {type(value).__name__}")
    try:
        time_us = parse_time_us(value)
    except ValueError:
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what}={value[:40]!r}") from None
    return in_range(time_us, what)


def epoch_us_of(value: Any, what: str) -> int:
    """Convert an epoch-seconds number (history rows' lu/lc) to µs exactly as HA does.

    HA keeps time.time() floats (sub-microsecond) and writes an event's ISO time with
    datetime.fromtimestamp(ts, UTC): that rounds the float's exact binary fraction, while
    round(ts * 1e6) rounds the product (itself already rounded) and is 1 µs off for about one
    timestamp in ten, which made the live and the back-filled copy of an event two rows.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected(Reason.BAD_TIMESTAMP, f"{what} is {type(value).__name__}")
    if not 0 <= value <= (time.time_ns() // 1000 + MAX_AHEAD_US) / 1_000_000:  # NaN fails too
        raise Rejected(Reason.TIME_OUT_OF_RANGE, f"{what}={value!r}")
    try:
        return epoch_to_us(value)
    except (ValueError, OverflowError, OSError):
        raise Rejected(Reason.TIME_OUT_OF_RANGE, f"{what}={value!r}") from None


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
