"""Fixtures for the GUI tests (tests/test_gui*.py), registered from conftest.py's pytest_plugins.

Async GUI tests run on the qasync loop (conftest's loop-factory hook, docs/stack-notes.md §3,
pattern A): never call qtbot.waitSignal / qtbot.wait inside them; await `wait_signal` or
`wait_until` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.config import ApiConfig, AppConfig, LoggingConfig, SimulatorConfig, StorageConfig

SIM_RATE = 50.0


async def wait_signal(signal: Any, timeout: float = 5.0) -> tuple[Any, ...]:
    """Await one emission of a Qt signal (the qasync-safe replacement for qtbot.waitSignal)."""
    fut: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not fut.done():
            fut.set_result(args)

    signal.connect(on_emit)
    try:
        return await asyncio.wait_for(fut, timeout)
    finally:
        signal.disconnect(on_emit)


async def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    interval: float = 0.05,
    on_poll: Callable[[], Any] | None = None,
    repoll_s: float = 1.0,
) -> Any:
    """Poll `predicate` on the running loop until it returns something truthy; `on_poll` runs first
    and then every `repoll_s` (e.g. to re-trigger a load whose data was still arriving)."""
    deadline = time.monotonic() + timeout
    next_poll = 0.0
    while True:
        if on_poll is not None and time.monotonic() >= next_poll:
            on_poll()
            next_poll = time.monotonic() + repoll_s
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def make_gui_config(tmp_path: Path, **sections: Any) -> AppConfig:
    """A demo-home config confined to tmp_path: store, logs and the config file itself."""
    config = AppConfig(
        storage=StorageConfig(data_dir=str(tmp_path / "data")),
        simulator=SimulatorConfig(rate=SIM_RATE),
        api=ApiConfig(port=0),
        logging=LoggingConfig(log_dir=str(tmp_path / "logs")),
        source_path=str(tmp_path / "config.toml"),
    )
    return replace(config, **sections)


@pytest.fixture
def gui_config(tmp_path: Path) -> AppConfig:
    return make_gui_config(tmp_path)


@pytest.fixture
def autostart_path(tmp_path: Path) -> Path:
    return tmp_path / "autostart" / "ha-ingestor.desktop"


@asynccontextmanager
async def running_session(
    qapp: Any, config: AppConfig, autostart_path: Path, *, warm: bool = True, runtime: Any = None
) -> AsyncIterator[Any]:
    """A started GuiSession (window + simulator-backed runtime), stopped and disposed on exit; with
    `warm`, entered once the demo home is connected and events are being stored.

    Use it inside the test body, not as an async fixture: pytest-qt calls processEvents() between
    the setup, call and teardown phases, which would step the session's asyncio tasks while the
    qasync loop is not running ("no running event loop") and kill them.
    """
    from app.session import GuiSession

    session = GuiSession(
        qapp, config, runtime=runtime, autostart_path=autostart_path, use_tray=False, notify_grace_s=0
    )
    session.window.resize(1280, 800)
    try:
        await session.start()
        if warm:
            history = session.runtime.metrics_history

            def stored() -> bool:
                latest = history.latest()
                return latest is not None and latest.events_total > 0

            await wait_until(stored, 20)
        yield session
    finally:
        await session.stop()
        session.dispose()


@pytest.fixture
def gui_app(qapp: Any, gui_config: AppConfig, autostart_path: Path) -> Callable[..., Any]:
    """`async with gui_app() as session:` runs the GUI on a demo-home runtime for the test body."""

    def start(warm: bool = True) -> Any:
        return running_session(qapp, gui_config, autostart_path, warm=warm)

    return start


@pytest.fixture
def dialog(qapp: Any, tmp_path: Path) -> Iterator[Any]:
    """A first-run SetupDialog on a config file in tmp_path (not shown)."""
    from app.controller import Controller
    from app.setup_dialog import SetupDialog

    dlg = SetupDialog(AppConfig(source_path=str(tmp_path / "config.toml")), Controller(None))
    yield dlg
    dlg.hide()  # a visible leftover would be taken for run_setup's dialog by later tests
    dlg.deleteLater()
