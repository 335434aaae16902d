"""The writer's dedupe caches: natural values -> small integer keys (recorder-style).

Owned by the writer thread only. Every miss inserts inside the running transaction; if that
transaction rolls back, `reload()` drops whatever the cache learned from it.
"""

from __future__ import annotations

import sqlite3
import zlib

from core.store.rows import Resolution

HOUR_US = 3_600_000_000
ATTR_CACHE_MAX = 20_000  # distinct attribute sets kept in memory (~1 KB each)


class KeyCaches:
    def __init__(self) -> None:
        self.entity: dict[str, int] = {}
        self.user: dict[str, int] = {}
        self.event_type: dict[str, int] = {}
        self.enrich: dict[Resolution, int] = {}
        # attrs JSON bytes -> [key, last_used_us as stored]; the bytes themselves are the dict key,
        # so there is no hash collision to handle in memory.
        self.attrs: dict[bytes, list[int]] = {}
        self.attrs_touched: dict[int, int] = {}  # key -> newer last_used_us to write at commit
        self.next_event_id = 1

    def reload(self, conn: sqlite3.Connection) -> None:
        """Load the small tables entirely; the attribute cache refills on demand."""
        self.entity = dict(conn.execute("SELECT entity_id, id FROM entity_ids"))
        self.user = dict(conn.execute("SELECT user_id, id FROM context_users"))
        self.event_type = dict(conn.execute("SELECT event_type, id FROM event_types"))
        self.enrich = {
            Resolution(*row[1:]): row[0]
            for row in conn.execute(
                "SELECT id, device_id, area_id, floor_id, manufacturer, model, sw_version FROM enrichments"
            )
        }
        self.attrs = {}
        self.attrs_touched = {}
        top = conn.execute("SELECT max(id) FROM events").fetchone()[0]
        self.next_event_id = (top or 0) + 1

    def entity_key(self, conn: sqlite3.Connection, entity_id: str) -> int:
        key = self.entity.get(entity_id)
        if key is None:
            cur = conn.execute(
                "INSERT INTO entity_ids (entity_id, domain) VALUES (?, ?)",
                (entity_id, entity_id.partition(".")[0]),
            )
            key = self.entity[entity_id] = _rowid(cur)
        return key

    def user_key(self, conn: sqlite3.Connection, user_id: str) -> int:
        key = self.user.get(user_id)
        if key is None:
            cur = conn.execute("INSERT INTO context_users (user_id) VALUES (?)", (user_id,))
            key = self.user[user_id] = _rowid(cur)
        return key

    def event_type_key(self, conn: sqlite3.Connection, event_type: str) -> int:
        key = self.event_type.get(event_type)
        if key is None:
            cur = conn.execute("INSERT INTO event_types (event_type) VALUES (?)", (event_type,))
            key = self.event_type[event_type] = _rowid(cur)
        return key

    def enrich_key(self, conn: sqlite3.Connection, res: Resolution) -> int:
        key = self.enrich.get(res)
        if key is None:
            cur = conn.execute(
                "INSERT INTO enrichments (device_id, area_id, floor_id, manufacturer, model, sw_version) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                tuple(res),
            )
            key = self.enrich[res] = _rowid(cur)
        return key

    def attrs_key(self, conn: sqlite3.Connection, attrs_json: bytes, time_us: int) -> int:
        """Return the key of an attribute set, creating it; remember when it was last used."""
        entry = self.attrs.get(attrs_json)
        if entry is None:
            entry = self._attrs_miss(conn, attrs_json, time_us)
        elif time_us > entry[1] + HOUR_US:
            # last_used_us only moves in steps of an hour: retention keeps a 2 h margin.
            entry[1] = time_us
            self.attrs_touched[entry[0]] = time_us
        return entry[0]

    def _attrs_miss(self, conn: sqlite3.Connection, attrs_json: bytes, time_us: int) -> list[int]:
        digest = zlib.crc32(attrs_json)
        row = conn.execute(
            "SELECT id, last_used_us FROM state_attributes WHERE hash = ? AND shared_attrs = ?",
            (digest, attrs_json),
        ).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO state_attributes (hash, shared_attrs, last_used_us) VALUES (?, ?, ?)",
                (digest, attrs_json, time_us),
            )
            entry = [_rowid(cur), time_us]
        else:
            entry = [row[0], row[1]]
            if time_us > row[1]:
                entry[1] = time_us
                self.attrs_touched[row[0]] = time_us
        if len(self.attrs) >= ATTR_CACHE_MAX:
            # Drop the oldest tenth (dicts keep insertion order): cheap, and hot sets come back.
            for stale in list(self.attrs)[: ATTR_CACHE_MAX // 10]:
                del self.attrs[stale]
        self.attrs[attrs_json] = entry
        return entry

    def flush_touched(self, conn: sqlite3.Connection) -> None:
        if self.attrs_touched:
            conn.executemany(
                "UPDATE state_attributes SET last_used_us = max(last_used_us, ?) WHERE id = ?",
                [(t, k) for k, t in self.attrs_touched.items()],
            )
            self.attrs_touched = {}


def _rowid(cur: sqlite3.Cursor) -> int:
    rowid = cur.lastrowid
    assert rowid is not None
    return rowid
