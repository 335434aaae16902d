"""Suite-wide set-up: Qt offscreen, which event loop each async test runs on, shared plugins."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

import pytest

# Real InfluxDB 1.x / VictoriaMetrics servers on 127.0.0.1 (started on demand, stopped by PID);
# the GUI fixtures (a simulator-backed runtime on the qasync loop).
pytest_plugins = ["tests.influx_servers", "tests.gui_conftest"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test may touch the user's real config, data or log directories (platformdirs follows XDG).
_SANDBOX = tempfile.mkdtemp(prefix="ha-ingestor-tests-")
for _var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_var] = os.path.join(_SANDBOX, _var.lower())


def _is_gui_test(item: pytest.Item) -> bool:
    return item.get_closest_marker("gui") is not None or item.path.name.startswith("test_gui")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], Any]]:
    """GUI tests run their coroutines ON the qasync loop (docs/stack-notes.md §3, pattern A): Qt timers and
    signals keep working while a test awaits. Engine tests use plain asyncio: no Qt needed."""
    if not _is_gui_test(item):
        return {"asyncio": asyncio.new_event_loop}
    import qasync
    from PySide6.QtWidgets import QApplication

    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}
