"""Secrets in the Configuration tab (demo-home runtime): never shown, kept when untouched, replaced
when typed, removed by Clear (runtime and saved file), with an undo.

Async tests run on the qasync loop (docs/stack-notes.md §3, pattern A): they await futures, never qtbot.wait.
"""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit

from app import theme
from app.config_form import CLEARED_HINT, SAVED_HINT, UNSET_HINT
from core.config import ApiConfig, AppConfig, HomeAssistantConfig, InfluxConfig
from tests.gui_conftest import make_gui_config, wait_until

pytestmark = pytest.mark.gui

HA_TOKEN = "saved-ha-token-1234"
API_KEY = "saved-api-key-5678"
INFLUX_PASSWORD = "saved-influx-password-90"
SECRETS = (HA_TOKEN, API_KEY, INFLUX_PASSWORD)


@pytest.fixture
def gui_config(tmp_path: Path) -> AppConfig:
    """The demo home with three saved secrets (an HA token without a URL keeps the simulator)."""
    return make_gui_config(
        tmp_path,
        home_assistant=HomeAssistantConfig(token=HA_TOKEN),
        api=ApiConfig(port=0, api_key=API_KEY),
        influxdb=InfluxConfig(username="writer", password=INFLUX_PASSWORD),
    )


def config_tab(session: Any) -> Any:
    return session.window.show_tab("configuration")


async def apply(tab: Any, save: bool = False) -> str:
    tab.buttons["save" if save else "apply"].click()
    return str(await wait_until(lambda: "applied" in tab.status.text() and tab.status.text(), timeout=15))


async def saved_file(rt: Any) -> tuple[str, dict[str, Any]]:
    text = await asyncio.to_thread(Path(rt.config.source_path).read_text)
    return text, tomllib.loads(text)


def shown_texts(session: Any) -> list[str]:
    """Every text the window's entries and labels hold or display."""
    edits = session.window.findChildren(QLineEdit)
    return [
        *(e.text() for e in edits),
        *(e.placeholderText() for e in edits),
        *(e.displayText() for e in edits),
        *(label.text() for label in session.window.findChildren(QLabel)),
    ]


async def test_saved_secrets_are_never_shown_and_untouched_ones_are_kept(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = config_tab(session)
        before = rt.config
        for where in (("home_assistant", "token"), ("api", "api_key"), ("influxdb", "password")):
            field = tab.form.secrets[where]
            assert field.edit is tab.form.inputs[where]
            assert field.edit.text() == "" and field.edit.placeholderText() == SAVED_HINT
            assert field.edit.echoMode() == QLineEdit.EchoMode.Password
            assert field.clear_button.isEnabled() and field.clear_button.text() == "Clear"
        unset = tab.form.secrets[("influxdb", "token")]
        assert unset.edit.placeholderText() == UNSET_HINT and not unset.clear_button.isEnabled()
        texts = shown_texts(session)
        assert not [t for t in texts for secret in SECRETS if secret in t]  # no widget holds a secret

        assert tab.form.raw()["api"]["api_key"] == API_KEY  # untouched: the saved value
        status = await apply(tab)
        assert "no engine needed a restart" in status
        assert rt.config == before


async def test_clear_then_apply_and_save_removes_the_secret_everywhere(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = config_tab(session)
        api_key = tab.form.secrets[("api", "api_key")]
        password = tab.form.secrets[("influxdb", "password")]
        api_key.clear_button.click()
        assert api_key.edit.placeholderText() == CLEARED_HINT and api_key.clear_button.text() == "Undo"
        assert api_key.edit.text() == ""
        password.edit.setText("typed, then cleared")
        password.clear_button.click()  # drops the typed text as well as the saved value
        assert password.edit.text() == "" and password.cleared
        assert tab.form.raw()["api"]["api_key"] == "" and tab.form.raw()["influxdb"]["password"] == ""

        status = await apply(tab, save=True)
        assert "api" in status.split("restarted: ")[1] and "saved to" in status
        assert rt.config.api.api_key == "" and rt.config.influxdb.password == ""
        assert rt.config.home_assistant.token == HA_TOKEN  # the untouched secret is still there
        text, saved = await saved_file(rt)
        assert Path(rt.config.source_path).parent == Path(rt.config.storage.data_dir).parent  # tmp_path
        assert "api_key" not in saved.get("api", {}) and "password" not in saved.get("influxdb", {})
        assert API_KEY not in text and INFLUX_PASSWORD not in text
        assert saved["home_assistant"]["token"] == HA_TOKEN  # saving keeps what was kept

        # reloaded after Apply: nothing saved any more, nothing to clear
        assert api_key.edit.placeholderText() == UNSET_HINT and not api_key.cleared
        assert not api_key.clear_button.isEnabled() and api_key.clear_button.text() == "Clear"


async def test_undo_and_typing_after_clear_cancel_the_clear(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = config_tab(session)
        api_key = tab.form.secrets[("api", "api_key")]
        api_key.clear_button.click()
        api_key.clear_button.click()  # Undo
        assert not api_key.cleared and api_key.edit.placeholderText() == SAVED_HINT
        assert tab.form.raw()["api"]["api_key"] == API_KEY

        api_key.clear_button.click()
        api_key.edit.setText("a-new-api-key-0123456789")  # typing replaces the clear
        assert not api_key.cleared and api_key.clear_button.text() == "Clear"
        assert tab.form.build_config().api.api_key == "a-new-api-key-0123456789"
        await apply(tab, save=True)
        assert rt.config.api.api_key == "a-new-api-key-0123456789"
        _, saved = await saved_file(rt)
        assert saved["api"]["api_key"] == "a-new-api-key-0123456789"
        assert api_key.edit.text() == "" and api_key.edit.placeholderText() == SAVED_HINT


async def test_validation_still_comes_from_core_and_a_cleared_ha_token_is_not_tested(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        rt = session.runtime
        tab = config_tab(session)
        tab.form.secrets[("home_assistant", "token")].clear_button.click()
        tab.form.inputs[("storage", "batch_size")].setText("zero")
        tab.buttons["apply"].click()
        assert "storage.batch_size" in tab.status.text()
        assert rt.config.home_assistant.token == HA_TOKEN  # nothing applied
        tab.form.inputs[("storage", "batch_size")].setText("500")

        await wait_until(lambda: rt.simulator is not None)
        tab.form.inputs[("home_assistant", "url")].setText(rt.simulator.base_url)
        tab.buttons["test_ha"].click()  # the cleared token must not fall back to the saved one
        await wait_until(lambda: "no access token given" in tab.test_result.text())


async def test_clear_button_is_a_touch_target_in_kiosk_mode(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        button = config_tab(session).form.secrets[("api", "api_key")].clear_button
        manager = theme.manager()
        assert manager is not None
        manager.set_kiosk(True)
        try:
            hint = button.minimumSizeHint().expandedTo(button.sizeHint())
            assert hint.height() >= theme.KIOSK_TOUCH_PX and hint.width() >= theme.KIOSK_TOUCH_PX
        finally:
            manager.set_kiosk(False)
