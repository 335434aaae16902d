"""The whole app killed with SIGKILL mid-stream, then started again: nothing missing, nothing
doubled, in SQLite or in InfluxDB.

The simulator runs in this test process (it records every event it emits); the app runs as a
real subprocess (`main.py --headless`) with InfluxDB enabled against a real influxd.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest

from core.ha.simulator import Simulator, SimulatorConfig
from core.models import EventSource
from core.store.codec import SOURCE_CODES
from tests.ha_fixtures import emitted_keys, stored_rows, wait_for
from tests.influx_servers import InfluxdServer, influx_counts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "crash-test-token"
DATABASE = "crash_test"


def write_config(tmp_path: Path, sim: Simulator, influxd: InfluxdServer) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[home_assistant]\nurl = "{sim.base_url}"\ntoken = "{TOKEN}"\n'
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\nflush_interval_ms = 50\n'
        f'[influxdb]\nenabled = true\napi_version = 1\nurl = "{influxd.url}"\ndatabase = "{DATABASE}"\n'
        f'[api]\nenabled = false\n[logging]\nlog_dir = "{tmp_path / "logs"}"\n'
    )
    return path


async def start_app(config: Path, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "main.py",
            "--headless",
            "--config",
            str(config),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


def stored_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:  # created but not migrated yet
        return 0


def local_counts(db: Path) -> dict[str, int]:
    return dict(Counter(entity for entity, _t, _s in stored_rows(db)))


async def test_sigkill_mid_stream_then_restart_loses_and_doubles_nothing(
    tmp_path: Path, influxd: InfluxdServer
) -> None:
    sim = Simulator(SimulatorConfig(token=TOKEN, rate=300, record=True))
    await sim.start()
    config = write_config(tmp_path, sim, influxd)
    db = tmp_path / "data" / "events.sqlite3"
    log = tmp_path / "app.log"
    app = None
    try:
        app = await start_app(config, log)
        await wait_for(lambda: stored_count(db) >= 600, 60, what="first run stored events")
        os.kill(app.pid, signal.SIGKILL)  # a crash: nothing flushed, nothing drained
        await app.wait()
        at_kill = stored_count(db)
        await asyncio.sleep(2.0)  # the simulator keeps emitting while the app is down

        app = await start_app(config, log)
        await wait_for(lambda: stored_count(db) >= at_kill + 600, 60, what="second run ingesting")
        sim.pause()
        emitted = set(emitted_keys(sim))

        def all_stored() -> bool:
            return emitted <= {(e, t) for e, t, _s in stored_rows(db)}

        await wait_for(all_stored, 60, what="every emitted event stored (live or back-filled)")
        await wait_for(
            lambda: influx_counts(influxd, DATABASE) == local_counts(db), 60, what="influx = local"
        )
        app.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(app.wait(), 60) == 0, log.read_text()[-3000:]
        app = None
    finally:
        if app is not None and app.returncode is None:
            app.kill()
            await app.wait()
        await sim.stop()

    stored = stored_rows(db)
    rows = [(e, t) for e, t, _s in stored]
    # The gap while the app was down could only be closed by the history back-fill.
    assert any(source == SOURCE_CODES[EventSource.BACKFILL] for _e, _t, source in stored)
    assert len(rows) == len(set(rows)), "an event was stored twice"
    assert emitted <= set(rows)
    assert influx_counts(influxd, DATABASE) == local_counts(db)
    assert TOKEN not in log.read_text()
