"""An engine's own SQLite file (alerts.db, sports.db, sources.db): created 0600 before SQLite writes a
byte, WAL, and a schema version (`PRAGMA user_version`) brought up to date by numbered migrations,
each in one transaction with its version bump. One aiosqlite connection is the file's single writer:
its worker thread serialises every statement, and the event store's writer is never involved.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aiosqlite

from core.fileperm import private_file


class SchemaTooNew(RuntimeError):
    """The file was written by a newer version of the app (a downgrade): refuse rather than guess."""


class EngineDb:
    """Subclasses name their file's label and their migrations {version: SQL script}."""

    label = "engine database"
    migrations: Mapping[int, str] = {}

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    @property
    def schema(self) -> int:
        return max(self.migrations, default=0)

    async def open_db(self) -> None:
        private_file(self.path, sqlite=True)  # it names the home's devices, teams or place: this user only
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._migrate()
        private_file(self.path, sqlite=True)  # the -wal and -shm files exist now

    async def _migrate(self) -> None:
        version = await self.schema_version()
        if version > self.schema:
            raise SchemaTooNew(f"{self.path} has schema {version}, newer than this app's {self.schema}")
        for target in range(version + 1, self.schema + 1):
            await self.db.executescript(
                f"BEGIN; {self.migrations[target]} PRAGMA user_version = {target}; COMMIT;"
            )

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError(f"{self.label} is closed")
        return self._db

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
