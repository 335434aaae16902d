"""A real runtime on the test's own asyncio loop: the built-in simulator, HA client, pipeline, SQLite
store and whichever other engines the test asks for. Engine tests use it instead of stand-ins, so a
renamed attribute or a changed dependency fails here exactly as it would in production."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.config import ApiConfig, AppConfig, SimulatorConfig, StorageConfig
from core.engine import EngineSpec
from core.engines import default_specs
from core.runtime import Runtime


def harness_config(tmp_path: Path, **sections: Any) -> AppConfig:
    """Demo mode (the simulator), no API unless asked, quick commits."""
    base = AppConfig(
        storage=StorageConfig(data_dir=str(tmp_path / "data"), flush_interval_ms=20),
        simulator=SimulatorConfig(rate=50.0, seed=5),
        api=ApiConfig(enabled=False, port=0),
        source_path=str(tmp_path / "config.toml"),
    )
    return replace(base, **sections)


def specs_without(*names: str) -> tuple[EngineSpec[Any], ...]:
    return tuple(s for s in default_specs() if s.name not in names)


@asynccontextmanager
async def running_runtime(
    tmp_path: Path, *, specs: Iterable[EngineSpec[Any]] | None = None, **sections: Any
) -> AsyncIterator[Runtime]:
    runtime = Runtime(harness_config(tmp_path, **sections), specs=specs)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll until `condition` holds (a readiness wait, never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


def ha_state(runtime: Runtime) -> str:
    info = runtime.connection_info()
    return str(info.state) if info is not None else "none"
