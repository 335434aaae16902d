"""Read connections, separate from the writer: WAL lets them read while the writer commits."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from core.store.writer import connect

T = TypeVar("T")


class ReadPool:
    """A few read-only connections, each used by one thread at a time."""

    def __init__(self, path: Path, size: int = 2) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="sqlite-read")
        self._slots = asyncio.Semaphore(size)
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in a reader thread and return its result."""
        if self._closed:
            raise RuntimeError("the store is closed")
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            loop = asyncio.get_running_loop()
            try:
                if conn is None:
                    conn = await loop.run_in_executor(self._executor, self._open)
                # copy_context: log lines from the reader thread keep the request's correlation id.
                context = contextvars.copy_context()
                return await loop.run_in_executor(self._executor, context.run, fn, conn)
            finally:
                if conn is not None:
                    if self._closed:
                        conn.close()
                    else:
                        self._idle.append(conn)

    def _open(self) -> sqlite3.Connection:
        conn = connect(self._path, readonly=True)
        conn.execute("PRAGMA cache_size=-8000")  # 8 MB each: dashboards read rollups, not raw rows
        return conn

    async def close(self) -> None:
        """Close idle connections; reads still running close theirs when they finish."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        await asyncio.to_thread(self._executor.shutdown, wait=True)
