"""Headless mode: the one-line status a server operator watches."""

from __future__ import annotations

import io
import re
from pathlib import Path

from core.config import ApiConfig, AppConfig, LoggingConfig, SimulatorConfig, StorageConfig
from core.headless import run_headless_async


async def test_status_line_shows_ingest_health_and_the_apps_memory(tmp_path: Path) -> None:
    config = AppConfig(
        storage=StorageConfig(data_dir=str(tmp_path / "data")),
        simulator=SimulatorConfig(rate=50),
        api=ApiConfig(port=0),
        logging=LoggingConfig(log_dir=str(tmp_path / "logs"), level="WARNING"),
        source_path=str(tmp_path / "config.toml"),
    )
    out = io.StringIO()  # not a tty: one line per second
    assert await run_headless_async(config, 4.0, out=out) == 0
    lines = [line for line in out.getvalue().splitlines() if " ev/s " in line]
    assert len(lines) >= 2
    last = lines[-1]
    assert re.match(r"(healthy|degraded) \| HA ", last)  # health from the same logic as /api/v1/health
    assert re.search(r"\| total [\d,]+ \|", last) and not last.startswith("unhealthy")
    assert re.search(r"\| \d+ MB$", last)  # the process's own resident memory
    assert "events stored in" in out.getvalue()
