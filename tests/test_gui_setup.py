"""First-run screen: the Test button really connects (HA version and entity count, or the exact
failure), and the choice is saved to the config file."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.qt_main import configure_app, run_setup
from app.setup_dialog import SetupDialog
from core.config import AppConfig, load_config
from core.ha.simulator import Simulator, SimulatorConfig
from tests.gui_conftest import wait_signal, wait_until

pytestmark = pytest.mark.gui


@asynccontextmanager
async def running_simulator() -> AsyncIterator[Simulator]:
    """Inside the test body, not an async fixture: qasync's run_until_complete ends with one more
    processEvents() outside the loop, so a fixture's background tasks (the simulator's generator)
    can be stepped with no running loop between the test and its teardown (docs/stack-notes.md §3)."""
    sim = Simulator(SimulatorConfig(port=0, rate=5, token="right-token"))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def test_test_button_reports_version_and_entities_or_the_failure(dialog: SetupDialog) -> None:
    async with running_simulator() as simulator:
        dialog.url.setText(simulator.base_url)
        dialog.token.setText("right-token")
        dialog.test_button.click()
        text = await wait_until(lambda: "entities" in dialog.message.text() and dialog.message.text())
        entities = len(list(simulator.home.states.all()))
        assert text == f"connected to Home Assistant {simulator.config.ha_version}, {entities} entities"
        dialog.token.setText("wrong-token")
        dialog.test_button.click()
        failure = await wait_until(
            lambda: dialog.message.text().startswith("failed") and dialog.message.text()
        )
    assert "Authentication failed" in failure


async def test_connect_choice_is_validated_by_core(dialog: SetupDialog) -> None:
    dialog.url.setText("ftp://nowhere")
    dialog.token.setText("t")
    dialog.connect_button.click()
    assert "must be a http/https/ws/wss URL" in dialog.message.text()
    pending = asyncio.ensure_future(wait_signal(dialog.chosen))
    await asyncio.sleep(0)  # let it connect before the click emits
    dialog.url.setText("http://homeassistant.local:8123")
    dialog.connect_button.click()
    (chosen,) = await pending
    assert chosen.home_assistant.url == "http://homeassistant.local:8123" and chosen.ui.setup_done


async def test_demo_choice_is_saved_to_the_config_file(qapp: Any, tmp_path: Path) -> None:
    configure_app(qapp)  # as run_gui does: closing the dialog must not quit Qt and stop the loop
    config = AppConfig(source_path=str(tmp_path / "first-run.toml"))
    setup = asyncio.ensure_future(run_setup(qapp, config))
    shown = await wait_until(lambda: next((w for w in _setup_dialogs() if w.isVisible()), None))
    shown.demo_button.click()
    result = await setup
    assert result is not None and result.use_simulator and result.ui.setup_done
    saved = await asyncio.to_thread(Path(config.source_path).read_text)
    assert tomllib.loads(saved) == {"ui": {"setup_done": True}}
    assert load_config(Path(config.source_path), env={}).ui.setup_done


def _setup_dialogs() -> list[SetupDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, SetupDialog)]
