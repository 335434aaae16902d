"""Heavy reads run in the store's worker process (the event loop never waits on their Python work),
and still answer, in the reader threads, where no process can be started."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from core.store import EventStore


def pid_and_tables(conn: sqlite3.Connection, wanted: str) -> tuple[int, bool]:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return os.getpid(), wanted in names


def spin(_conn: sqlite3.Connection, seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


async def test_heavy_reads_run_in_a_worker_process(tmp_path: Path) -> None:
    store = await EventStore.open(tmp_path, retention=False)
    try:
        pid, found = await store.read_process.call(pid_and_tables, "events")
        again, _ = await store.read_process.call(pid_and_tables, "events")
        cpu0 = await store.read_process.worker_cpu_s()
        await store.read_process.call(spin, 0.2)
        cpu1 = await store.read_process.worker_cpu_s()
    finally:
        await store.close()
    assert found and pid != os.getpid() and again == pid  # one worker, kept
    # A benchmark can count the worker's CPU beside its own (spinning shows up there, not here).
    assert cpu0 is not None and cpu1 is not None and cpu1 - cpu0 >= 0.1


async def test_without_a_worker_process_the_reader_threads_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_processes(*_: Any) -> Any:
        raise OSError("no semaphores in this sandbox")

    monkeypatch.setattr(multiprocessing, "get_context", no_processes)
    store = await EventStore.open(tmp_path, retention=False)
    try:
        pid, found = await store.read_process.call(pid_and_tables, "events")
    finally:
        await store.close()
    assert found and pid == os.getpid()
    assert await store.read_process.worker_cpu_s() is None  # its reads count in this process
    assert "no worker process: OSError: no semaphores in this sandbox" in caplog.text
