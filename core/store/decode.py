"""Read side: stored rows -> StoreRow/EnrichedEvent, with the small key tables cached in memory."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from core.models import EnrichedEvent
from core.store.codec import SOURCE_NAMES, decode_context, decode_origin
from core.store.query_types import StoredEvent
from core.store.rows import Resolution, StoreRow

EVENT_COLUMNS = (
    "e.id, e.entity_key, e.time_us, e.state, e.old_state, a.shared_attrs, e.ctx, e.ctx_parent, "
    "e.user_key, e.origin, e.source, e.event_type, e.duration_ms, e.enrich_key"
)
EVENT_FROM = "events e LEFT JOIN state_attributes a ON a.id = e.attrs_key"


class Lookups:
    """Integer key -> value maps of entity_ids, context_users, event_types and enrichments.

    These tables only grow and stay small (hundreds to thousands of rows), so a miss reloads the
    whole table. Readers in several threads may reload at once: each assigns a complete new dict.
    """

    def __init__(self) -> None:
        self.entity: dict[int, str] = {}
        self.user: dict[int, str] = {}
        self.event_type: dict[int, str] = {}
        self.enrich: dict[int, Resolution] = {}

    def refresh(self, conn: sqlite3.Connection) -> None:
        self.entity = dict(conn.execute("SELECT id, entity_id FROM entity_ids"))
        self.user = dict(conn.execute("SELECT id, user_id FROM context_users"))
        self.event_type = dict(conn.execute("SELECT id, event_type FROM event_types"))
        self.enrich = {
            row[0]: Resolution(*row[1:])
            for row in conn.execute(
                "SELECT id, device_id, area_id, floor_id, manufacturer, model, sw_version FROM enrichments"
            )
        }

    def decode(self, conn: sqlite3.Connection, row: tuple[Any, ...]) -> tuple[int, StoreRow]:
        """Turn one `SELECT EVENT_COLUMNS` row into (event id, StoreRow with attributes parsed)."""
        event_id, ek, time_us, state, old, attrs, ctx, parent, uk, origin, source, et, dur, nk = row
        if (
            ek not in self.entity
            or nk not in self.enrich
            or et not in self.event_type
            or (uk is not None and uk not in self.user)
        ):
            self.refresh(conn)
        attributes = orjson.loads(attrs) if attrs is not None else {}
        return event_id, StoreRow(
            entity_id=self.entity[ek],
            time_us=time_us,
            state=state,
            old_state=old,
            attrs_json=attrs or b"{}",
            context_id=decode_context(ctx),
            context_parent_id=decode_context(parent),
            context_user_id=None if uk is None else self.user[uk],
            origin=decode_origin(origin),
            source=SOURCE_NAMES[source],
            event_type=self.event_type[et],
            duration_ms=dur,
            enrich=self.enrich[nk],
            attributes=attributes,
        )

    def decode_all(self, conn: sqlite3.Connection, rows: list[Any]) -> list[tuple[int, EnrichedEvent]]:
        """`SELECT EVENT_COLUMNS` rows as (event id, event), in row order."""
        out = []
        for row in rows:
            event_id, stored = self.decode(conn, row)
            out.append((event_id, stored.to_event()))
        return out


def decode_events(conn: sqlite3.Connection, lookups: Lookups, rows: list[Any]) -> list[StoredEvent]:
    """`SELECT EVENT_COLUMNS` rows as StoredEvents, in row order."""
    return [StoredEvent(event_id, event) for event_id, event in lookups.decode_all(conn, rows)]
