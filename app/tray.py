"""Tray icon (health by colour, menu Open / Kiosk mode / Quit) and desktop notifications when health
changes or an alert is raised, deduplicated and rate-limited. Without a system tray (offscreen, some
desktops) the same information goes to the window's status bar."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app import theme
from app.autostart import LoginStart
from app.bridge import Bridge
from app.icons import tinted_icon
from core.logs import redact

LOGIN_START_LABELS = {
    LoginStart.WINDOW: "Start when I log in",
    LoginStart.KIOSK: "Start in kiosk mode when I log in",
}
MIN_INTERVAL_S = 10.0  # at most one desktop notification per this many seconds
DEDUP_S = 600.0  # the same notification is not repeated within this window
STARTUP_GRACE_S = 15.0  # engines settle after start: no "health changed" pop-ups meanwhile


class NotificationGate:
    def __init__(
        self,
        min_interval_s: float = MIN_INTERVAL_S,
        dedup_s: float = DEDUP_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.dedup_s = dedup_s
        self._clock = clock
        self._last_at: float | None = None
        self._seen: dict[str, float] = {}

    def allow(self, key: str) -> bool:
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen < self.dedup_s:
            return False
        if self._last_at is not None and now - self._last_at < self.min_interval_s:
            return False
        self._seen = {k: t for k, t in self._seen.items() if now - t < self.dedup_s}
        self._seen[key] = self._last_at = now
        return True


class Notifier(QObject):
    open_requested = Signal()
    kiosk_requested = Signal()
    about_requested = Signal()
    screen_requested = Signal(int)  # "Open at full screen on": a display index, or -1 for a window
    quit_requested = Signal()
    login_start_requested = Signal(str)  # an autostart.LoginStart value, chosen in the tray menu

    def __init__(
        self, window: Any, bridge: Bridge, *, use_tray: bool = True, startup_grace_s: float = STARTUP_GRACE_S
    ) -> None:
        super().__init__(window)
        self.window = window
        self.gate = NotificationGate()
        self.suppressed = 0
        self._alerted: set[int] = set()
        self.health: Any = None
        self._quiet_until = time.monotonic() + startup_grace_s
        self.tray: QSystemTrayIcon | None = None
        self.login_actions: dict[LoginStart, QAction] = {}
        self.screen_actions: dict[int, QAction] = {}
        if use_tray and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = self._make_tray()
        bridge.health_changed.connect(self.on_health)
        bridge.alert.connect(self.on_alert)

    @property
    def has_tray(self) -> bool:
        return self.tray is not None

    def on_health(self, report: Any) -> None:
        previous, self.health = self.health, report
        color = theme.health_color(report.status)
        if self.tray is not None:
            self.tray.setIcon(tinted_icon("app", color))
            self.tray.setToolTip(f"HA Ingestor: {report.status}\n{report.summary}")
        self.window.setWindowIcon(tinted_icon("app", color))
        changed = previous is not None and previous.status != report.status
        if changed and time.monotonic() >= self._quiet_until:
            self.notify(
                f"Health: {report.status}", report.summary, f"health:{report.status}:{report.summary}"
            )

    def on_alert(self, alert: Any) -> None:
        """A core.alerts.store.Alert: notify once when it is raised (not on updates, ack or resolve)."""
        if alert.state != "active" or alert.id in self._alerted:
            return
        self._alerted.add(alert.id)
        self.notify(f"Alert ({alert.severity})", alert.message, f"alert:{alert.id}")

    def notify(self, title: str, text: str, key: str) -> bool:
        if not self.gate.allow(key):
            self.suppressed += 1
            return False
        text = redact(text)
        if self.tray is not None:
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.window.show_notice(f"{title}: {text}", time.time())
        return True

    def hide(self) -> None:
        if self.tray is not None:
            self.tray.hide()

    def _make_tray(self) -> QSystemTrayIcon:
        tray = QSystemTrayIcon(tinted_icon("app", theme.palette().muted), self)
        menu = QMenu()
        for text, signal in (("Open", self.open_requested), ("Kiosk mode", self.kiosk_requested)):
            action = QAction(text, menu)
            action.triggered.connect(signal.emit)
            menu.addAction(action)
        menu.addSeparator()
        for choice, text in LOGIN_START_LABELS.items():
            action = QAction(text, menu, checkable=True)
            action.toggled.connect(lambda on, c=choice: self._login_start_toggled(c, on))
            menu.addAction(action)
            self.login_actions[choice] = action
        menu.addMenu(self._screen_menu(menu))
        menu.addSeparator()
        about_action = QAction("About HA Ingestor", menu)
        about_action.triggered.connect(self.about_requested.emit)
        menu.addAction(about_action)
        quit_action = QAction("Quit", menu)
        quit_action.triggered.connect(self.quit_requested.emit)
        menu.addAction(quit_action)
        self._menu = menu
        tray.setContextMenu(menu)
        tray.activated.connect(self._on_activated)
        tray.show()
        return tray

    def _screen_menu(self, parent: QMenu) -> QMenu:
        """One entry per display present when the app started, and "a normal window"."""
        menu = QMenu("Open at full screen on", parent)
        group = QActionGroup(menu)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        choices = [(-1, "No display (a normal window)")] + [
            (i, f"Display {i + 1}: {screen.name()}") for i, screen in enumerate(QGuiApplication.screens())
        ]
        for index, text in choices:
            action = QAction(text, menu, checkable=True)
            group.addAction(action)
            action.triggered.connect(lambda _on=False, i=index: self.screen_requested.emit(i))
            menu.addAction(action)
            self.screen_actions[index] = action
        return menu

    def show_screen(self, index: int) -> None:
        """Tick the display the config names (nothing ticked for a display that is not there)."""
        for each, action in self.screen_actions.items():
            action.setChecked(each == index)

    def show_login_start(self, choice: LoginStart) -> None:
        """Tick the menu entry that matches the config (without emitting a request)."""
        for each, action in self.login_actions.items():
            action.blockSignals(True)
            action.setChecked(each is choice)
            action.blockSignals(False)

    def _login_start_toggled(self, choice: LoginStart, on: bool) -> None:
        self.login_start_requested.emit(str(choice if on else LoginStart.OFF))

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_requested.emit()
