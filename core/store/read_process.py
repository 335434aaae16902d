"""Heavy reads in a worker process: analyses that walk hundreds of thousands of rows in Python
(duration analytics) hold the interpreter lock for seconds even in a reader thread, and the event
loop (the GUI, the API, ingest) stalls behind it. In a child process they cost the loop nothing.

One worker, started on first use with the "spawn" method (no forked copy of the GUI or the loop),
with its own read-only connection. If a process cannot be started here (a sandbox without
semaphores, a broken frozen build), the work runs in the store's reader threads instead and a
warning says why: slower for the loop, never a failed request.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from core.store.writer import connect

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
ThreadFallback = Callable[[Callable[[sqlite3.Connection], T]], Awaitable[T]]

_child_connections: dict[str, sqlite3.Connection] = {}
MMAP_BYTES = 1 << 30
"""The worker reads the database through a memory map: its heavy reads look rows up all over the file
(one entity's rows lie between everyone else's), and a mapped page costs no copy into SQLite's cache
(about a fifth less CPU for the energy engine's reads). Address space only; the pages are the OS's."""


def _in_child(path: str, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    conn = _child_connections.get(path)
    if conn is None:
        conn = _child_connections[path] = connect(Path(path), readonly=True)
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    return fn(conn, *args)


def _cpu_seconds(_conn: sqlite3.Connection) -> float:
    return time.process_time()


class ReadProcess:
    def __init__(self, path: Path, in_thread: ThreadFallback[Any]) -> None:
        self._path = str(path)
        self._in_thread = in_thread
        self._pool: ProcessPoolExecutor | None = None
        self._unavailable: str | None = None

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(conn, *args)` in the worker process; `fn` must be a module-level function and its
        arguments and result picklable (plain data and frozen dataclasses)."""
        pool = self._ensure_pool()
        if pool is not None:
            try:  # the worker is spawned on the first submit: that is where starting it fails
                future = asyncio.get_running_loop().run_in_executor(pool, _in_child, self._path, fn, args)
            except (BrokenProcessPool, OSError, RuntimeError) as err:
                self._give_up(err)
            else:
                try:
                    return await future
                except BrokenProcessPool as err:  # the worker died (killed, out of memory)
                    self._give_up(err)
        result: T = await self._in_thread(lambda conn: fn(conn, *args))
        return result

    async def worker_cpu_s(self) -> float | None:
        """The worker process's CPU seconds so far (for benchmarks), None when there is no worker
        (the work then runs in this process and counts in its own CPU time)."""
        if self._ensure_pool() is None:
            return None
        cpu = await self.call(_cpu_seconds)
        return cpu if self._pool is not None else None

    def _ensure_pool(self) -> ProcessPoolExecutor | None:
        if self._pool is None and self._unavailable is None:
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn")
                )
            except (OSError, NotImplementedError, ImportError) as err:
                self._give_up(err)
        return self._pool

    def _give_up(self, err: BaseException) -> None:
        self._unavailable = f"{type(err).__name__}: {err}"
        _LOGGER.warning("heavy reads run in reader threads (no worker process: %s)", self._unavailable)
        self.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
