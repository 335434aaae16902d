"""One GUI run: the runtime (the same one --headless runs), the bridge, the controller, the window,
the tray (or status bar) and kiosk mode, started and stopped in order.

Closing the window (or Quit in the tray, or SIGINT/SIGTERM) resolves `closed`; `stop()` then cancels
the GUI's requests and stops the runtime, which flushes the pipeline and closes the store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app import theme
from app.bridge import Bridge
from app.controller import Controller
from app.kiosk import KioskController
from app.main_window import MainWindow
from app.tabs import TabContext
from app.theme import ThemeManager
from app.tray import Notifier
from core.config import AppConfig
from core.runtime import Runtime

log = logging.getLogger(__name__)


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
        self.start_error: str | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.window.closing.connect(self.request_close)
        self.notifier.open_requested.connect(self.show_window)
        self.notifier.kiosk_requested.connect(lambda: self.kiosk.set_enabled(True))
        self.notifier.quit_requested.connect(self.window.close)
        self.controller.config_applied.connect(self._on_config_applied)

    @property
    def config(self) -> AppConfig:
        return self.runtime.config

    async def start(self) -> None:
        """Show the window first (it has honest "starting" states), then start every engine."""
        self.kiosk.apply_config(self.config.ui)
        if not self.kiosk.enabled:
            self.window.show()
        self.shown_at = time.perf_counter()
        try:
            await self.runtime.start()
        except Exception as err:
            log.exception("the runtime failed to start")
            self.start_error = str(err)
            self.window.show_notice(f"runtime failed to start: {err}", time.time())
        self.bridge.refresh_health()

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

    def _on_config_applied(self, config: Any) -> None:
        self.theme.set_theme(config.ui.theme)
        self.kiosk.apply_config(config.ui)
