"""The home's history is this user's only: every file the app writes is 0600 and its directories
0700, whatever the umask (a default umask of 022 made events.sqlite3 and the logs world-readable)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import ApiConfig, AppConfig, LoggingConfig, SimulatorConfig, StorageConfig, save_config
from core.logs import LOG_FILE, setup_logging, shutdown_logging
from core.runtime import Runtime

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_store_alerts_spill_and_logs_are_private(tmp_path: Path, loose_umask: None) -> None:
    data, logs = tmp_path / "data", tmp_path / "logs"
    config = AppConfig(
        storage=StorageConfig(data_dir=str(data), flush_interval_ms=20),
        simulator=SimulatorConfig(rate=50),
        api=ApiConfig(enabled=False),
        logging=LoggingConfig(log_dir=str(logs)),
        source_path=str(tmp_path / "config.toml"),
    )
    runtime = Runtime(config)
    setup_logging(config.logging, runtime.bus)
    try:
        await runtime.start()
        logging.getLogger("core.test").warning("a line for the log file")
        written = sorted(p.name for p in data.iterdir())
        open_files = {p: mode(p) for p in (*data.iterdir(), *logs.iterdir())}
    finally:
        await runtime.stop()
        shutdown_logging()
    assert {"events.sqlite3", "events.sqlite3-wal", "events.sqlite3-shm", "alerts.db"} <= set(written)
    assert any("spill" in name for name in written), written
    assert (logs / LOG_FILE) in open_files
    loose = {str(p): oct(m) for p, m in open_files.items() if m & 0o077}
    assert not loose
    for directory in (data, logs):
        assert mode(directory) == 0o700, directory


def test_saved_config_and_its_directory_are_private(tmp_path: Path, loose_umask: None) -> None:
    path = save_config(AppConfig(), tmp_path / "conf" / "config.toml")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_an_existing_world_readable_store_is_tightened(tmp_path: Path, loose_umask: None) -> None:
    """Stores created by older versions (0644 in a 0755 directory) are fixed on the next open."""
    import asyncio

    from core.store import EventStore

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    db = data / "events.sqlite3"

    async def open_close() -> None:
        store = await EventStore.open(data, retention=False)
        await store.close()

    asyncio.run(open_close())
    os.chmod(db, 0o644)
    os.chmod(data, 0o755)
    asyncio.run(open_close())
    assert mode(db) == 0o600 and mode(data) == 0o700
