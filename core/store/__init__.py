"""SQLite storage: schema and migrations, the single writer, queries, rollups, retention, export."""

from core.store.queries import EventQueries
from core.store.query_types import EventFilter, EventPage, StoredEvent
from core.store.rows import Resolution, StoreRow, WriteResult
from core.store.store import EventStore

__all__ = [
    "EventFilter",
    "EventPage",
    "EventQueries",
    "EventStore",
    "Resolution",
    "StoreRow",
    "StoredEvent",
    "WriteResult",
]
