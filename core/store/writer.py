"""The single writer: one task, one SQLite connection, one ordered command queue.

Every write (events, metadata sync, outbox acks, quarantine, meta, retention steps) is a
command: a function of the connection that runs a whole transaction. Commands run strictly in
the order they were submitted, so there is never a second writing connection and never a
SQLITE_BUSY between our own writers (zigpy's PersistingListener, HA's recorder thread).

By default commands run inline on the event loop thread. That is deliberate and measured
(bench/store_micro.py): the sqlite3 module releases the GIL around every row it steps, so a
writer *thread* ping-pongs the GIL with the loop on every row and the whole process ingests
~30 % fewer events per second for the same CPU. Inline, a 500-event batch holds the loop for
~5 ms, and commands are kept small (batches <= 10 x batch_size, retention steps ~25 ms).
The only slow I/O of WAL + synchronous=NORMAL is the checkpoint (it fsyncs), so automatic
checkpoints are off on this connection; instead, about once a second, a checkpoint runs as a
queued command *in a thread* while the writer task waits for it. No write runs during it, so it
always completes and the WAL is rewound (a checkpoint on a side connection under constant writes
never completes and the WAL grows without bound); the loop stays free, rows queue in memory.
`inline=False` runs every command in the writer thread instead.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
CHECKPOINT_PERIOD_S = 1.0
Command = Callable[[sqlite3.Connection], Any]


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection in autocommit mode: transactions are explicit BEGIN/COMMIT."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    if readonly:
        # Not `mode=ro`: that cannot open a WAL database whose -shm file is missing.
        conn.execute("PRAGMA query_only=ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN ... COMMIT, or ROLLBACK on error (connections run in autocommit mode)."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteWriter:
    def __init__(
        self, path: Path, setup: Command, *, periodic: Command | None = None, inline: bool = True
    ) -> None:
        self._path = path
        self._setup = setup
        self._periodic = periodic  # run about once a second after writes (e.g. flush rollups)
        self._inline = inline
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        # (command, future, run in the thread even when inline)
        self._queue: asyncio.Queue[tuple[Command, asyncio.Future[Any], bool] | None] = asyncio.Queue()
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._checkpointer: asyncio.Task[None] | None = None
        self._dirty = False

    async def start(self) -> None:
        """Open the connection and run `setup` (pragmas, migrations) off the loop thread."""
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, connect, self._path)
        await loop.run_in_executor(self._executor, self._setup, self._conn)
        self._task = asyncio.create_task(self._run(), name="sqlite-writer")
        if self._inline:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = asyncio.create_task(self._periodic_loop(), name="sqlite-writer-periodic")

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def submit(
        self, command: Callable[[sqlite3.Connection], T], *, threaded: bool = False
    ) -> asyncio.Future[T]:
        """Queue a command; the future resolves with its result once it has run (committed).

        `threaded`: run it in the writer thread even in inline mode (slow I/O such as checkpoints).
        """
        if self._task is None or self._task.done():
            raise RuntimeError("the SQLite writer is not running")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((command, future, threaded))
        return future

    async def run(self, command: Callable[[sqlite3.Connection], T], *, threaded: bool = False) -> T:
        return await self.submit(command, threaded=threaded)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        conn = self._conn
        assert conn is not None
        while (item := await self._queue.get()) is not None:
            command, future, threaded = item
            try:
                if self._inline and not threaded:
                    result = command(conn)
                else:
                    result = await loop.run_in_executor(self._executor, command, conn)
                self._dirty = self._dirty or (command is not _checkpoint and command is not self._periodic)
            except Exception as err:
                if not future.done():
                    future.set_exception(err)
            else:
                if not future.done():
                    future.set_result(result)

    async def _periodic_loop(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_PERIOD_S)
            if not self._dirty:
                continue
            try:
                if self._periodic is not None:
                    await self.run(self._periodic)
                self._dirty = False
                if self._inline:
                    await self.run(_checkpoint, threaded=True)
            except Exception:
                _LOGGER.exception("periodic writer task failed")

    async def close(self) -> None:
        """Run every queued command, checkpoint the WAL, close the connection."""
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            await asyncio.gather(self._checkpointer, return_exceptions=True)
        if self._task is not None and not self._task.done():
            self._queue.put_nowait(None)
            await self._task
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._executor, _checkpoint_and_close, conn)
        self._executor.shutdown(wait=True)


def _checkpoint(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        _LOGGER.warning("WAL checkpoint failed", exc_info=True)


def _checkpoint_and_close(conn: sqlite3.Connection) -> None:
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error:
        _LOGGER.warning("WAL checkpoint at close failed", exc_info=True)
    conn.close()
