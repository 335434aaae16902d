"""One GUI run: the runtime (the same one --headless runs), the bridge, the controller, the window,
the tray (or status bar) and kiosk mode, started and stopped in order.

Closing the window (or Quit in the tray, or SIGINT/SIGTERM) resolves `closed`; `stop()` then cancels
the GUI's requests and stops the runtime, which flushes the pipeline and closes the store.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from app import autostart, theme
from app.about import show_about
from app.autostart import LoginStart
from app.bridge import Bridge
from app.controller import Controller
from app.kiosk import KioskController, move_to_screen
from app.main_window import MainWindow
from app.tabs import TabContext
from app.theme import ThemeManager
from app.tray import Notifier
from core.config import AppConfig, default_config_path, save_config
from core.runtime import Runtime

log = logging.getLogger(__name__)


def process_age_s() -> float | None:
    """Seconds since this process was started (Linux: /proc), so a log line can say how long the
    whole start took, bootloader and imports included."""
    try:
        after_name = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_ticks = int(after_name[19])  # field 22, starttime, in clock ticks since boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started_ticks / os.sysconf("SC_CLK_TCK"))


class FirstPaintLog(QObject):
    """Logs the window's first paint once: what a person waits for after a double-click."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            age = process_age_s()
            if age is not None:
                log.info("first paint %.2f s after the process started", age)
        return False


class GuiSession(QObject):
    def __init__(
        self,
        app: QApplication,
        config: AppConfig,
        *,
        runtime: Runtime | None = None,
        autostart_path: Path | None = None,
        use_tray: bool = True,
        notify_grace_s: float | None = None,
    ) -> None:
        super().__init__()
        self.app = app
        app.setQuitOnLastWindowClosed(False)  # closing the window stops the runtime first (see stop())
        self.launched_at = time.perf_counter()
        self.shown_at: float | None = None
        self.runtime = runtime or Runtime(config)
        self.theme = theme.manager() or ThemeManager(app, config.ui.theme)
        self.theme.set_theme(config.ui.theme)
        self.bridge = Bridge(self.runtime.bus, self.runtime.health, self)
        self.bridge.attach()
        self.controller = Controller(self.runtime, self)
        self.window = MainWindow(TabContext(self.runtime, self.bridge, self.controller))
        grace = {} if notify_grace_s is None else {"startup_grace_s": notify_grace_s}
        self.notifier = Notifier(self.window, self.bridge, use_tray=use_tray, **grace)
        self.kiosk = KioskController(self.window, self.theme, autostart_path=autostart_path)
        self._first_paint = FirstPaintLog(self)
        self.window.installEventFilter(self._first_paint)
        self.start_error: str | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.window.closing.connect(self.request_close)
        self.notifier.open_requested.connect(self.show_window)
        self.notifier.kiosk_requested.connect(lambda: self.kiosk.set_enabled(True))
        self.notifier.quit_requested.connect(self.window.close)
        self.notifier.login_start_requested.connect(self.set_login_start)
        self.notifier.screen_requested.connect(self.set_screen)
        self.notifier.about_requested.connect(lambda: show_about(self.window, self.config))
        self.controller.config_applied.connect(self._on_config_applied)

    @property
    def config(self) -> AppConfig:
        return self.runtime.config

    async def start(self) -> None:
        """Show the window first (it has honest "starting" states), then start every engine."""
        self.kiosk.apply_config(self.config.ui)
        ui = self.config.ui
        self.notifier.show_login_start(autostart.wanted(ui.autostart, ui.autostart_kiosk))
        self.notifier.show_screen(ui.screen)
        if not self.kiosk.enabled:
            self.show_on_configured_screen()
        self.shown_at = time.perf_counter()
        try:
            await self.runtime.start()
        except Exception as err:
            log.exception("the runtime failed to start")
            self.start_error = str(err)
            self.window.show_notice(f"runtime failed to start: {err}", time.time())
        self.bridge.refresh_health()

    def show_on_configured_screen(self) -> None:
        """`screen = N` in the config (or --screen N): full screen on display N, else a normal window."""
        if move_to_screen(self.window, self.config.ui.screen):
            self.window.showFullScreen()
        else:
            self.window.show()

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def request_close(self) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    async def stop(self) -> None:
        """Stop in order: GUI requests, bus subscriptions, then the runtime (flushes and closes the store)."""
        self.kiosk.set_enabled(False)
        self.bridge.detach()
        await self.controller.drain()
        await self.runtime.stop()
        self.notifier.hide()
        if self.window.isVisible():
            self.window.closing.disconnect(self.request_close)
            self.window.close()

    def dispose(self) -> None:
        """Release the Qt objects (after stop)."""
        self.window.deleteLater()
        self.deleteLater()

    def set_login_start(self, choice: str) -> None:
        """The tray's "Start (in kiosk mode) when I log in": apply and save, like the Configuration
        tab's Save (the entry is written from the config, so an unsaved choice would be undone at
        the next start)."""
        wanted = LoginStart(choice)
        window, kiosk = wanted is LoginStart.WINDOW, wanted is LoginStart.KIOSK
        self._apply_and_save_ui(autostart=window, autostart_kiosk=kiosk)

    def set_screen(self, index: int) -> None:
        """The tray's "Open at full screen on": display `index` (0 = first), or -1 for a normal window."""
        self._apply_and_save_ui(screen=index)

    def _apply_and_save_ui(self, **changes: Any) -> None:
        config = replace(self.config, ui=replace(self.config.ui, **changes))

        def save(_restarted: list[str]) -> None:
            try:
                save_config(config, Path(config.source_path or default_config_path()))
            except OSError as err:
                self.window.show_notice(f"could not save the setting: {err}", time.time())

        self.controller.apply_config(config, save)

    def _on_config_applied(self, config: Any) -> None:
        previous_screen = self.kiosk.screen
        self.theme.set_theme(config.ui.theme)
        self.kiosk.apply_config(config.ui)
        self.notifier.show_login_start(autostart.wanted(config.ui.autostart, config.ui.autostart_kiosk))
        self.notifier.show_screen(config.ui.screen)
        if not self.kiosk.enabled and config.ui.screen != previous_screen and self.window.isVisible():
            if config.ui.screen < 0:
                self.window.showNormal()
            else:
                self.show_on_configured_screen()
