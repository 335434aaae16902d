"""Alerts and their history in their own SQLite file (alerts.db in the data dir).

One aiosqlite connection is the single writer: its worker thread serialises every statement, and
the event store's writer is never touched (alerts are written while that one may be stalled).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import orjson

from core.engine_db import EngineDb

ALERTS_DB = "alerts.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,           -- active | acknowledged | resolved
    message TEXT NOT NULL,
    detail TEXT NOT NULL,          -- JSON
    raised_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    acknowledged_at REAL,
    resolved_at REAL,
    resolution TEXT                -- cleared (condition ended) | manual
);
CREATE INDEX IF NOT EXISTS ix_alerts_state ON alerts (state, id);
CREATE TABLE IF NOT EXISTS alert_history (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL,
    at REAL NOT NULL,
    action TEXT NOT NULL,          -- raised | updated | acknowledged | resolved
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_alert_history_alert ON alert_history (alert_id, id);
"""
OPEN_STATES = ("active", "acknowledged")
_FIELDS = (
    "id", "rule", "severity", "state", "message", "detail",
    "raised_at", "updated_at", "acknowledged_at", "resolved_at", "resolution",
)  # fmt: skip
_COLUMNS = ", ".join(_FIELDS)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    rule: str
    severity: str
    state: str
    message: str
    detail: dict[str, Any]
    raised_at: float
    updated_at: float
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    resolution: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": self.severity,
            "state": self.state,
            "message": self.message,
            "detail": self.detail,
            "raised_at": _iso(self.raised_at),
            "updated_at": _iso(self.updated_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
            "resolution": self.resolution,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: float
    action: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"at": _iso(self.at), "action": self.action, "detail": self.detail}


def _row_to_alert(row: Any) -> Alert:
    return Alert(int(row[0]), row[1], row[2], row[3], row[4], orjson.loads(row[5]), *row[6:8], *row[8:11])


class AlertStore(EngineDb):
    label = "alert store"
    migrations = {1: _SCHEMA}  # IF NOT EXISTS: a file from before versioning (user_version 0) is kept

    async def open(self) -> None:
        await self.open_db()

    async def open_alerts(self) -> list[Alert]:
        sql = f"SELECT {_COLUMNS} FROM alerts WHERE state IN ('active', 'acknowledged') ORDER BY id"
        async with self.db.execute(sql) as cur:
            return [_row_to_alert(r) for r in await cur.fetchall()]

    async def find(self, states: tuple[str, ...] | None, limit: int) -> list[Alert]:
        where = f"WHERE state IN ({','.join('?' * len(states))})" if states else ""
        sql = f"SELECT {_COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT ?"
        async with self.db.execute(sql, (*(states or ()), limit)) as cur:
            return [_row_to_alert(r) for r in await cur.fetchall()]

    async def get(self, alert_id: int) -> Alert | None:
        async with self.db.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _row_to_alert(row)

    async def history(self, alert_id: int) -> list[HistoryEntry]:
        sql = "SELECT at, action, detail FROM alert_history WHERE alert_id = ? ORDER BY id"
        async with self.db.execute(sql, (alert_id,)) as cur:
            return [HistoryEntry(r[0], r[1], orjson.loads(r[2])) for r in await cur.fetchall()]

    async def insert(self, rule: str, severity: str, message: str, detail: dict[str, Any]) -> Alert:
        now = time.time()
        cur = await self.db.execute(
            "INSERT INTO alerts (rule, severity, state, message, detail, raised_at, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?, ?)",
            (rule, severity, message, orjson.dumps(detail, default=str), now, now),
        )
        alert_id = int(cur.lastrowid or 0)
        await self._log(alert_id, now, "raised", {"message": message, **detail})
        await self.db.commit()
        return Alert(alert_id, rule, severity, "active", message, detail, now, now)

    async def update_detail(self, alert: Alert, message: str, detail: dict[str, Any]) -> Alert:
        """Refresh the message/detail of an open alert (e.g. "disconnected for 300 s"); no history row."""
        now = time.time()
        await self.db.execute(
            "UPDATE alerts SET message = ?, detail = ?, updated_at = ? WHERE id = ?",
            (message, orjson.dumps(detail, default=str), now, alert.id),
        )
        await self.db.commit()
        return replace(alert, message=message, detail=detail, updated_at=now)

    async def transition(self, alert: Alert, state: str, resolution: str | None = None) -> Alert:
        now = time.time()
        acked = now if state == "acknowledged" else alert.acknowledged_at
        resolved = now if state == "resolved" else None
        await self.db.execute(
            "UPDATE alerts SET state = ?, updated_at = ?, acknowledged_at = ?, resolved_at = ?,"
            " resolution = ? WHERE id = ?",
            (state, now, acked, resolved, resolution, alert.id),
        )
        action = "acknowledged" if state == "acknowledged" else "resolved"
        await self._log(alert.id, now, action, {"resolution": resolution} if resolution else {})
        await self.db.commit()
        return replace(
            alert,
            state=state,
            updated_at=now,
            acknowledged_at=acked,
            resolved_at=resolved,
            resolution=resolution,
        )

    async def _log(self, alert_id: int, at: float, action: str, detail: dict[str, Any]) -> None:
        await self.db.execute(
            "INSERT INTO alert_history (alert_id, at, action, detail) VALUES (?, ?, ?, ?)",
            (alert_id, at, action, orjson.dumps(detail, default=str)),
        )
