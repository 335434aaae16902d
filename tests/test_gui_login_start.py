"""Desktop integration in the running app: the tray's "Start (in kiosk mode) when I log in" writes
the XDG autostart entry and saves the choice in the config file; "full screen on display N"."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

from app import autostart
from app.kiosk import move_to_screen
from tests.gui_conftest import wait_until


async def test_login_start_from_the_tray_is_written_and_saved(
    gui_app: Any, autostart_path: Path, tmp_path: Path
) -> None:
    async with gui_app(warm=False) as session:
        session.set_login_start("kiosk")
        await wait_until(lambda: autostart.current(autostart_path) is autostart.LoginStart.KIOSK)
        await wait_until(lambda: (tmp_path / "config.toml").exists())
        saved = tomllib.loads((tmp_path / "config.toml").read_text())["ui"]
        assert saved["autostart_kiosk"] is True and not saved.get("autostart", False)
        assert session.config.ui.autostart_kiosk

        session.set_login_start("off")
        await wait_until(lambda: not autostart_path.exists())
        await wait_until(lambda: not session.config.ui.autostart_kiosk)


async def test_full_screen_on_a_display_that_exists(gui_app: Any) -> None:
    async with gui_app(warm=False) as session:
        assert move_to_screen(session.window, 0)
        assert not move_to_screen(session.window, 7)  # no eighth display: the window stays put


async def test_the_about_box_shows_the_version_and_where_the_data_is(gui_app: Any) -> None:
    from app.about import TITLE
    from core.version import version

    async with gui_app(warm=False) as session:
        config_tab = session.window.show_tab("configuration")
        config_tab.buttons["about"].click()
        box = session.window.findChild(QMessageBox, "about") or config_tab.findChild(QMessageBox, "about")
        assert box is not None and box.windowTitle() == TITLE
        text = box.text()
        assert f"HA Ingestor {version()}" in text
        assert str(session.config.storage.resolved_data_dir()) in text
        box.close()


async def test_full_screen_on_display_n_from_the_tray_is_applied_and_saved(
    gui_app: Any, tmp_path: Path
) -> None:
    async with gui_app(warm=False) as session:
        session.set_screen(0)
        await wait_until(lambda: session.config.ui.screen == 0)
        await wait_until(lambda: session.window.isFullScreen())
        await wait_until(lambda: (tmp_path / "config.toml").exists())
        assert tomllib.loads((tmp_path / "config.toml").read_text())["ui"]["screen"] == 0
        session.set_screen(-1)
        await wait_until(lambda: session.config.ui.screen == -1)
        await wait_until(lambda: not session.window.isFullScreen())


def test_the_tray_menu_offers_every_display(qapp: Any) -> None:
    from PySide6.QtWidgets import QMenu

    from app.tray import Notifier

    notifier = Notifier.__new__(Notifier)  # only the menu builder, without a tray or a window
    QObject.__init__(notifier)
    notifier.screen_actions = {}
    parent = QMenu()
    menu = notifier._screen_menu(parent)
    texts = [a.text() for a in menu.actions()]
    assert texts[0].startswith("No display") and texts[1].startswith("Display 1")
    notifier.show_screen(0)
    assert notifier.screen_actions[0].isChecked() and not notifier.screen_actions[-1].isChecked()
