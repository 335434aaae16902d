"""`python main.py export`: stored events as JSON lines, oldest first.

Reads through its own read connection (no writer, no migration), so it can run while the app
is running; a database written by a newer program is refused rather than misread.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import TextIO

import orjson

from core.store import query_events
from core.store.codec import datetime_to_us
from core.store.decode import Lookups
from core.store.query_types import EventFilter
from core.store.schema import SCHEMA_VERSION
from core.store.serialize import event_to_json_dict
from core.store.store import DB_FILENAME
from core.store.writer import connect
from core.weather import SOURCES_DB, WeatherIndex, read_observations

PAGE = 2_000


async def export_events(
    data_dir: Path,
    out: TextIO,
    since: datetime | None,
    until: datetime | None,
    entity_id: str | None,
) -> int:
    """Write one JSON object per event (EnrichedEvent field names, plus the `weather_*` fields at its
    time, null when there was no observation within the hour before) to `out`; return the count."""
    return await asyncio.to_thread(_export, data_dir / DB_FILENAME, out, since, until, entity_id)


def _weather(data_dir: Path, times: list[datetime]) -> WeatherIndex:
    """The weather observations covering a page (oldest first), from the data sources' file."""
    if not times:
        return WeatherIndex()
    return WeatherIndex(read_observations(data_dir / SOURCES_DB, times[0], times[-1]))


def _export(
    path: Path, out: TextIO, since: datetime | None, until: datetime | None, entity_id: str | None
) -> int:
    if not path.exists():
        return 0
    conn = connect(path, readonly=True)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"database schema v{version} is newer than this program (v{SCHEMA_VERSION})")
        lookups, flt = Lookups(), EventFilter(entity_id=entity_id)
        start = None if since is None else datetime_to_us(since)
        end = None if until is None else datetime_to_us(until)
        count, cursor = 0, None
        while True:
            page = query_events.page(conn, lookups, flt, start, end, PAGE, cursor, ascending=True)
            weather = _weather(path.parent, [s.event.time_fired for s in page.events])
            for stored in page.events:
                row = event_to_json_dict(stored.event)
                row.update(weather.fields_at(stored.event.time_fired))
                out.write(orjson.dumps(row).decode())
                out.write("\n")
            count += len(page.events)
            if page.next_cursor is None:
                return count
            cursor = page.next_cursor
    finally:
        conn.close()
