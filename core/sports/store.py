"""sports.db: games, the change-only score timeline, fired events, webhooks and the durable delivery
queue, in the sports engine's own SQLite file (0600, WAL, versioned schema).

One aiosqlite connection is the only writer; its worker thread serialises every statement. A poll's
games, trackers, timeline rows, events and the deliveries those events cause are written in ONE
transaction: a crash either keeps all of it (the events are known fired and their deliveries queued)
or none of it (the next poll detects the same events again, with the same uids).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from core.engine_db import EngineDb

SPORTS_DB = "sports.db"
SCHEMA_VERSION = 2
_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE games (
    game_id TEXT PRIMARY KEY, league TEXT NOT NULL, event_id TEXT NOT NULL, start REAL NOT NULL,
    season INTEGER, state TEXT NOT NULL, completed INTEGER NOT NULL, home_id TEXT NOT NULL,
    away_id TEXT NOT NULL, home_score TEXT, away_score TEXT, winner TEXT, updated_at REAL NOT NULL,
    data BLOB NOT NULL,            -- the normalised Game as JSON
    tracker BLOB                   -- core.sports.detect.Tracker as JSON (NULL: schedule-only row)
);
CREATE INDEX ix_games_home ON games (home_id, start);
CREATE INDEX ix_games_away ON games (away_id, start);
CREATE TABLE timeline (
    id INTEGER PRIMARY KEY, game_id TEXT NOT NULL, observed_at REAL NOT NULL, state TEXT NOT NULL,
    period INTEGER NOT NULL, clock TEXT NOT NULL, home_score TEXT, away_score TEXT,
    win_prob_home REAL, last_play TEXT NOT NULL
);
CREATE INDEX ix_timeline_game ON timeline (game_id, id);
CREATE TABLE events (
    event_uid TEXT PRIMARY KEY, game_id TEXT NOT NULL, type TEXT NOT NULL, sequence INTEGER NOT NULL,
    occurred_at REAL NOT NULL, payload BLOB NOT NULL
);
CREATE INDEX ix_events_game ON events (game_id, sequence);
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, event_types TEXT NOT NULL,
    teams TEXT NOT NULL, enabled INTEGER NOT NULL, description TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL, event_uid TEXT NOT NULL, body BLOB NOT NULL,
    state TEXT NOT NULL,           -- pending | delivered | dead
    attempts INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL, next_at REAL NOT NULL,
    last_at REAL, last_code INTEGER, last_error TEXT,
    UNIQUE (webhook_id, event_uid)
);
CREATE INDEX ix_deliveries_due ON deliveries (webhook_id, state, next_at);
CREATE TABLE delivery_log (
    id INTEGER PRIMARY KEY, delivery_id INTEGER, webhook_id TEXT NOT NULL, event_uid TEXT NOT NULL,
    at REAL NOT NULL, attempt INTEGER NOT NULL, status_code INTEGER, latency_ms REAL,
    error TEXT, outcome TEXT NOT NULL  -- delivered | retry | dead | test
);
CREATE INDEX ix_delivery_log_hook ON delivery_log (webhook_id, id);
CREATE TABLE teams_cache (league TEXT PRIMARY KEY, fetched_at REAL NOT NULL, data BLOB NOT NULL);
""",
    # 2: points bound for InfluxDB (measurement "sports"), written with the poll that made them.
    2: "CREATE TABLE influx_outbox (id INTEGER PRIMARY KEY, line TEXT NOT NULL);",
}


@dataclass(frozen=True, slots=True)
class GameRow:
    game_id: str
    data: dict[str, Any]
    tracker: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class TimelineRow:
    game_id: str
    observed_at: float
    state: str
    period: int
    clock: str
    home_score: str | None
    away_score: str | None
    win_prob_home: float | None
    last_play: str


@dataclass(frozen=True, slots=True)
class StoredGame:
    """One game as the poll writes it: identity, index columns, and the JSON forms."""

    game_id: str
    league: str
    event_id: str
    start: float
    season: int | None
    state: str
    completed: bool
    home_id: str
    away_id: str
    home_score: str | None
    away_score: str | None
    winner: str | None
    data: bytes
    tracker: bytes | None


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_uid: str
    game_id: str
    type: str
    sequence: int
    occurred_at: float
    payload: bytes
    deliveries: tuple[tuple[str, float], ...]  # (webhook id, not before)
    influx_line: str | None = None  # its InfluxDB point, when InfluxDB is enabled


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    url: str
    secret: str
    event_types: tuple[str, ...]  # empty: every type
    teams: tuple[str, ...]  # "league:team_id"; empty: every tracked team
    enabled: bool
    description: str
    created_at: float
    updated_at: float

    def wants(self, event_type: str, team_keys: Iterable[str]) -> bool:
        if not self.enabled or (self.event_types and event_type not in self.event_types):
            return False
        return not self.teams or any(k in self.teams for k in team_keys)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    webhook_id: str
    event_uid: str
    body: bytes
    state: str
    attempts: int
    created_at: float
    next_at: float
    last_at: float | None
    last_code: int | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    delivery_id: int | None
    webhook_id: str
    event_uid: str
    at: float
    attempt: int
    status_code: int | None
    latency_ms: float | None
    error: str | None
    outcome: str


_WEBHOOK_COLS = "id, url, secret, event_types, teams, enabled, description, created_at, updated_at"
_DELIVERY_COLS = (
    "id, webhook_id, event_uid, body, state, attempts, created_at, next_at, last_at, last_code, last_error"
)
_LOG_COLS = "id, delivery_id, webhook_id, event_uid, at, attempt, status_code, latency_ms, error, outcome"


def _webhook(row: Sequence[Any]) -> Webhook:
    return Webhook(
        row[0],
        row[1],
        row[2],
        tuple(orjson.loads(row[3])),
        tuple(orjson.loads(row[4])),
        bool(row[5]),
        row[6],
        row[7],
        row[8],
    )


class SportsStore(EngineDb):
    label = "sports store"
    migrations = _MIGRATIONS

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, data_dir: Path) -> SportsStore:
        store = cls(data_dir / SPORTS_DB)
        await store.open_db()
        return store

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction at a time. The poll and every webhook worker share this connection:
        without the lock, a worker's commit between two awaits of a poll's transaction would commit
        half of it (an event without its deliveries), and a failing poll's rollback would undo a
        worker's "delivered"."""
        async with self._lock:
            try:
                yield self.db
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise

    # -- polls ----------------------------------------------------------------------------------

    async def record_poll(
        self,
        games: Sequence[StoredGame],
        timeline: Sequence[TimelineRow],
        events: Sequence[NewEvent],
        influx_lines: Sequence[str] = (),
    ) -> list[NewEvent]:
        """Everything one poll learnt, in one transaction; returns the events that were new."""
        now = time.time()
        fresh: list[NewEvent] = []
        async with self._write() as db:
            for g in games:
                await db.execute(
                    "INSERT INTO games VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (game_id) DO UPDATE SET"
                    " start=excluded.start, season=excluded.season, state=excluded.state,"
                    " completed=excluded.completed, home_id=excluded.home_id, away_id=excluded.away_id,"
                    " home_score=excluded.home_score, away_score=excluded.away_score, winner=excluded.winner,"
                    " updated_at=excluded.updated_at, data=excluded.data,"
                    " tracker=COALESCE(excluded.tracker, games.tracker)"
                    " WHERE excluded.tracker IS NOT NULL OR games.tracker IS NULL",
                    (
                        g.game_id,
                        g.league,
                        g.event_id,
                        g.start,
                        g.season,
                        g.state,
                        int(g.completed),
                        g.home_id,
                        g.away_id,
                        g.home_score,
                        g.away_score,
                        g.winner,
                        now,
                        g.data,
                        g.tracker,
                    ),
                )
            await db.executemany(
                "INSERT INTO timeline (game_id, observed_at, state, period, clock, home_score, away_score,"
                " win_prob_home, last_play) VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        t.game_id,
                        t.observed_at,
                        t.state,
                        t.period,
                        t.clock,
                        t.home_score,
                        t.away_score,
                        t.win_prob_home,
                        t.last_play,
                    )
                    for t in timeline
                ],
            )
            for e in events:
                cur = await db.execute(
                    "INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?)",
                    (e.event_uid, e.game_id, e.type, e.sequence, e.occurred_at, e.payload),
                )
                if cur.rowcount != 1:
                    continue  # fired before (a restart re-detecting it): never sent twice
                fresh.append(e)
                if e.influx_line is not None:
                    await db.execute("INSERT INTO influx_outbox (line) VALUES (?)", (e.influx_line,))
                await db.executemany(
                    "INSERT OR IGNORE INTO deliveries"
                    " (webhook_id, event_uid, body, state, created_at, next_at)"
                    " VALUES (?, ?, ?, 'pending', ?, ?)",
                    [(hook, e.event_uid, e.payload, now, not_before) for hook, not_before in e.deliveries],
                )
            await db.executemany("INSERT INTO influx_outbox (line) VALUES (?)", [(x,) for x in influx_lines])
        return fresh

    async def influx_batch(self, limit: int) -> list[tuple[int, str]]:
        async with (
            self._lock,
            self.db.execute("SELECT id, line FROM influx_outbox ORDER BY id LIMIT ?", (limit,)) as cur,
        ):
            return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]

    async def influx_done(self, up_to_id: int) -> None:
        async with self._write() as db:
            await db.execute("DELETE FROM influx_outbox WHERE id <= ?", (up_to_id,))

    async def influx_pending(self) -> int:
        async with self.db.execute("SELECT COUNT(*) FROM influx_outbox") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def trackers(self) -> dict[str, dict[str, Any]]:
        async with self.db.execute("SELECT game_id, tracker FROM games WHERE tracker IS NOT NULL") as cur:
            return {r[0]: orjson.loads(r[1]) for r in await cur.fetchall()}

    async def last_timeline(self) -> dict[str, TimelineRow]:
        sql = (
            "SELECT game_id, observed_at, state, period, clock, home_score, away_score, win_prob_home,"
            " last_play FROM timeline WHERE id IN (SELECT MAX(id) FROM timeline GROUP BY game_id)"
        )
        async with self.db.execute(sql) as cur:
            return {r[0]: TimelineRow(*r) for r in await cur.fetchall()}

    async def timeline(self, game_id: str) -> list[TimelineRow]:
        sql = (
            "SELECT game_id, observed_at, state, period, clock, home_score, away_score, win_prob_home,"
            " last_play FROM timeline WHERE game_id = ? ORDER BY id"
        )
        async with self.db.execute(sql, (game_id,)) as cur:
            return [TimelineRow(*r) for r in await cur.fetchall()]

    async def game(self, game_id: str) -> GameRow | None:
        async with self.db.execute(
            "SELECT game_id, data, tracker FROM games WHERE game_id = ?", (game_id,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else GameRow(row[0], orjson.loads(row[1]), row[2] and orjson.loads(row[2]))

    async def games(
        self,
        *,
        team_id: str | None = None,
        league: str | None = None,
        season: int | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """Stored games, newest first, and how many match in all (for paging)."""
        where, args = ["1=1"], []
        for clause, value in (
            ("(home_id = ? OR away_id = ?)", team_id),
            ("league = ?", league),
            ("season = ?", season),
            ("state = ?", state),
        ):
            if value is not None:
                where.append(clause)
                args += [value, value] if clause.startswith("(home") else [value]
        cond = " AND ".join(where)
        async with self.db.execute(f"SELECT COUNT(*) FROM games WHERE {cond}", args) as cur:
            total = int((await cur.fetchone() or (0,))[0])
        sql = f"SELECT data FROM games WHERE {cond} ORDER BY start DESC LIMIT ? OFFSET ?"
        async with self.db.execute(sql, (*args, limit, offset)) as cur:
            return [orjson.loads(r[0]) for r in await cur.fetchall()], total

    async def events(self, game_id: str) -> list[dict[str, Any]]:
        sql = "SELECT payload FROM events WHERE game_id = ? ORDER BY sequence"
        async with self.db.execute(sql, (game_id,)) as cur:
            return [orjson.loads(r[0]) for r in await cur.fetchall()]

    async def recent_events(self, limit: int = 50) -> list[dict[str, Any]]:
        sql = "SELECT payload FROM events ORDER BY occurred_at DESC, sequence DESC LIMIT ?"
        async with self.db.execute(sql, (limit,)) as cur:
            return [orjson.loads(r[0]) for r in await cur.fetchall()]

    # -- teams cache ------------------------------------------------------------------------------

    async def cached_teams(self, league: str) -> tuple[float, Any] | None:
        async with self.db.execute(
            "SELECT fetched_at, data FROM teams_cache WHERE league = ?", (league,)
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else (float(row[0]), orjson.loads(row[1]))

    async def cache_teams(self, league: str, data: Any) -> None:
        async with self._write() as db:
            await db.execute(
                "INSERT OR REPLACE INTO teams_cache VALUES (?, ?, ?)",
                (league, time.time(), orjson.dumps(data)),
            )

    # -- webhooks --------------------------------------------------------------------------------

    async def webhooks(self) -> list[Webhook]:
        async with self.db.execute(f"SELECT {_WEBHOOK_COLS} FROM webhooks ORDER BY created_at") as cur:
            return [_webhook(r) for r in await cur.fetchall()]

    async def webhook(self, hook_id: str) -> Webhook | None:
        async with self.db.execute(f"SELECT {_WEBHOOK_COLS} FROM webhooks WHERE id = ?", (hook_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _webhook(row)

    async def save_webhook(self, hook: Webhook) -> None:
        async with self._write() as db:
            await db.execute(
                f"INSERT OR REPLACE INTO webhooks ({_WEBHOOK_COLS}) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    hook.id,
                    hook.url,
                    hook.secret,
                    orjson.dumps(list(hook.event_types)),
                    orjson.dumps(list(hook.teams)),
                    int(hook.enabled),
                    hook.description,
                    hook.created_at,
                    hook.updated_at,
                ),
            )

    async def delete_webhook(self, hook_id: str) -> bool:
        async with self._write() as db:
            cur = await db.execute("DELETE FROM webhooks WHERE id = ?", (hook_id,))
            await db.execute("DELETE FROM deliveries WHERE webhook_id = ? AND state = 'pending'", (hook_id,))
        return cur.rowcount == 1

    async def due(self, hook_id: str, now: float, limit: int = 20) -> list[Delivery]:
        sql = (
            f"SELECT {_DELIVERY_COLS} FROM deliveries WHERE webhook_id = ? AND state = 'pending'"
            " AND next_at <= ? ORDER BY next_at, id LIMIT ?"
        )
        async with self._lock, self.db.execute(sql, (hook_id, now, limit)) as cur:
            # Under the lock: never pick up a delivery a poll's transaction has not committed yet.
            return [Delivery(*r) for r in await cur.fetchall()]

    async def next_due_at(self, hook_id: str) -> float | None:
        sql = "SELECT MIN(next_at) FROM deliveries WHERE webhook_id = ? AND state = 'pending'"
        async with self.db.execute(sql, (hook_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None or row[0] is None else float(row[0])

    async def finish_attempt(
        self,
        d: Delivery,
        *,
        state: str,
        next_at: float,
        code: int | None,
        error: str | None,
        latency_ms: float | None,
        outcome: str,
    ) -> None:
        now, attempt = time.time(), d.attempts + 1
        async with self._write() as db:
            await db.execute(
                "UPDATE deliveries SET state=?, attempts=?, next_at=?, last_at=?, last_code=?, last_error=?"
                " WHERE id=?",
                (state, attempt, next_at, now, code, error, d.id),
            )
            await self._log(d.id, d.webhook_id, d.event_uid, now, attempt, code, latency_ms, error, outcome)

    async def log_test(
        self, hook_id: str, uid: str, code: int | None, latency_ms: float | None, error: str | None
    ) -> None:
        async with self._write():
            await self._log(None, hook_id, uid, time.time(), 1, code, latency_ms, error, "test")

    async def _log(self, *values: Any) -> None:
        await self.db.execute(
            f"INSERT INTO delivery_log ({_LOG_COLS[4:]}) VALUES (?,?,?,?,?,?,?,?,?)", values
        )

    async def delivery_log(self, hook_id: str | None, limit: int = 100) -> list[LogEntry]:
        where = "WHERE webhook_id = ?" if hook_id else ""
        sql = f"SELECT {_LOG_COLS} FROM delivery_log {where} ORDER BY id DESC LIMIT ?"
        async with self.db.execute(sql, (hook_id, limit) if hook_id else (limit,)) as cur:
            return [LogEntry(*r) for r in await cur.fetchall()]

    async def prune(self, now: float, *, deliveries_days: float = 7, log_days: float = 30) -> None:
        """Retention: finished deliveries after a week, the delivery log after a month. Games,
        their timelines and events are small (change-only) and kept for the season's record."""
        async with self._write() as db:
            await db.execute(
                "DELETE FROM deliveries WHERE state != 'pending' AND created_at < ?",
                (now - deliveries_days * 86400,),
            )
            await db.execute("DELETE FROM delivery_log WHERE at < ?", (now - log_days * 86400,))

    async def delivery_counts(self, hook_id: str) -> dict[str, int]:
        sql = "SELECT state, COUNT(*) FROM deliveries WHERE webhook_id = ? GROUP BY state"
        async with self.db.execute(sql, (hook_id,)) as cur:
            counts = {r[0]: int(r[1]) for r in await cur.fetchall()}
        return {s: counts.get(s, 0) for s in ("pending", "delivered", "dead")}
