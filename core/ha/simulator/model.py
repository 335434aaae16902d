"""Context and State, with their JSON encodings cached because every event needs them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from core.ha.simulator import clock
from core.jsonb import dumps_kept

Attributes = Mapping[str, Any]
"""State attributes. Shared between states and history rows, so never mutated in place."""


@dataclass(frozen=True, slots=True)
class Context:
    """HA's Context: id is a ULID, user_id a 32-hex user id for human-initiated changes."""

    id: str
    parent_id: str | None = None
    user_id: str | None = None
    json: bytes = field(default=b"", repr=False, compare=False)

    def as_dict(self) -> dict[str, str | None]:
        """Return the dict in HA's key order: id, parent_id, user_id."""
        return {"id": self.id, "parent_id": self.parent_id, "user_id": self.user_id}


def make_context(context_id: str, parent_id: str | None = None, user_id: str | None = None) -> Context:
    """Build a Context with its JSON encoding."""
    encoded = dumps_kept({"id": context_id, "parent_id": parent_id, "user_id": user_id})
    return Context(context_id, parent_id, user_id, encoded)


@dataclass(slots=True)
class State:
    """One entity state. Times are integer microseconds; `json` is what get_states and events carry."""

    entity_id: str
    state: str
    attributes: Attributes
    attrs_json: bytes
    last_changed: int
    last_updated: int
    last_reported: int
    context: Context
    changed_ts: float | None = None
    """last_changed as the float HA keeps (None: exactly last_changed µs); the recorder stores it."""
    updated_ts: float | None = None
    """The same for last_updated."""
    _json: bytes | None = field(default=None, repr=False)

    @property
    def domain(self) -> str:
        """Return the entity's domain."""
        return self.entity_id.split(".", 1)[0]

    @property
    def json(self) -> bytes:
        """Return State._as_dict encoded, key order entity_id, state, attributes, last_changed,
        last_reported, last_updated, context."""
        if self._json is None:
            self._json = self._encode()
        return self._json

    def report(self, us: int) -> None:
        """Record a write that changed nothing (HA 2024.3+: only last_reported moves)."""
        self.last_reported = us
        self._json = None

    def as_dict(self) -> dict[str, Any]:
        """Return the state as HA would serialize it (for tests and REST)."""
        result: dict[str, Any] = orjson.loads(self.json)
        return result

    def _encode(self) -> bytes:
        updated = clock.iso(self.last_updated).encode()
        changed = updated if self.last_changed == self.last_updated else clock.iso(self.last_changed).encode()
        reported = (
            updated if self.last_reported == self.last_updated else clock.iso(self.last_reported).encode()
        )
        return b"".join(
            (
                b'{"entity_id":"',
                self.entity_id.encode(),
                b'","state":',
                orjson.dumps(self.state),
                b',"attributes":',
                self.attrs_json,
                b',"last_changed":"',
                changed,
                b'","last_reported":"',
                reported,
                b'","last_updated":"',
                updated,
                b'","context":',
                self.context.json,
                b"}",
            )
        )
