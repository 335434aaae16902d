"""Kiosk mode for a wall tablet: fullscreen and frameless, 48 px touch targets, the cursor hidden after
5 s idle, night dimming on a schedule, a one-pixel shift every few minutes against burn-in, optional
tab rotation, and an exit that takes a long press (and the PIN when one is set)."""

from __future__ import annotations

from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QCursor, QGuiApplication, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from app import autostart
from app.theme import ThemeManager
from app.widgets import ui
from app.widgets.long_press import LongPressButton
from app.widgets.pin_pad import PinPad
from core.pin import verify_pin

IDLE_CURSOR_MS = 5000
DIM_CHECK_MS = 60_000
SHIFT_MS = 180_000
SHIFTS = ((0, 0), (1, 0), (1, 1), (0, 1))
DIM_ALPHA = 150
INPUT_EVENTS = {
    QEvent.Type.MouseMove,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.KeyPress,
}


def parse_hhmm(text: str) -> dtime | None:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except (ValueError, AttributeError):
        return None


def in_dim_window(now: dtime, start: dtime | None, end: dtime | None) -> bool:
    """True between start and end; a window like 22:00-06:30 wraps over midnight."""
    if start is None or end is None or start == end:
        return False
    return start <= now < end if start < end else (now >= start or now < end)


class DimOverlay(QWidget):
    """A translucent black sheet over the window that lets every touch through."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0, DIM_ALPHA))
        p.end()


def move_to_screen(window: QWidget, index: int) -> bool:
    """Put the window on display `index` (0 = the first), before it goes full screen there; False
    when there is no such display (the window stays where the window manager puts it)."""
    screens = QGuiApplication.screens()
    if not 0 <= index < len(screens):
        return False
    screen = screens[index]
    window.setScreen(screen)
    window.move(screen.geometry().topLeft())
    return True


class KioskController(QObject):
    def __init__(self, window: Any, theme: ThemeManager, *, autostart_path: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.theme = theme
        self.autostart_path = autostart_path
        self.enabled = False
        self.screen = -1  # full screen on this display (kiosk, or `screen` in the config); -1 = any
        self.pin = ""  # the PIN's hash ("" = no PIN)
        self.rotate_s = 0
        self.dim_start: dtime | None = None
        self.dim_end: dtime | None = None
        self.cursor_hidden = False
        self.shift_index = 0
        self.exit_button = LongPressButton("⏻ hold to exit")
        self.exit_button.setToolTip("Hold for 2 seconds to leave kiosk mode")
        self.exit_button.hide()
        self.exit_button.long_pressed.connect(self.request_exit)
        self.exit_button.short_pressed.connect(
            lambda: self.window.show_notice("hold the button to leave kiosk mode")
        )
        window.tabs.setCornerWidget(self.exit_button, Qt.Corner.TopRightCorner)
        self.pin_pad = PinPad(window)
        self.pin_pad.submitted.connect(self._on_pin)
        # On the central widget, not the window: showing a child of the QMainWindow itself makes Qt
        # re-apply the window's size, which drops the fullscreen state (seen on the offscreen platform).
        self.overlay = DimOverlay(window.centralWidget())
        self._idle = ui.timer(self, IDLE_CURSOR_MS, self._hide_cursor, single_shot=True)
        self._dim = ui.timer(self, DIM_CHECK_MS, self.update_dimming)
        self._shift = ui.timer(self, SHIFT_MS, self.shift_pixels)
        self._rotate = ui.timer(self, 0, self.rotate_tab)

    def apply_config(self, ui: Any) -> None:
        self.pin = ui.kiosk_pin  # a salted hash (core/pin.py), never the digits
        self.rotate_s = ui.kiosk_rotate_s
        self.dim_start, self.dim_end = parse_hhmm(ui.kiosk_dim_start), parse_hhmm(ui.kiosk_dim_end)
        autostart.apply(autostart.wanted(ui.autostart, ui.autostart_kiosk), self.autostart_path)
        self.screen = ui.screen
        self.set_enabled(ui.kiosk)
        if self.enabled:
            self._start_rotation()
            self.update_dimming()

    def set_enabled(self, on: bool) -> None:
        """Enter or leave kiosk mode; leaving through the UI goes through `request_exit` instead."""
        if on == self.enabled:
            return
        self.enabled = on
        self.theme.set_kiosk(on)
        self.exit_button.setVisible(on)
        was_visible = self.window.isVisible()
        self.window.setWindowFlag(Qt.WindowType.FramelessWindowHint, on)  # this hides the window
        app = QApplication.instance()
        if on:
            app.installEventFilter(self)  # type: ignore[union-attr]
            move_to_screen(self.window, self.screen)
            self.window.showFullScreen()
            for timer in (self._idle, self._dim, self._shift):
                timer.start()
            self._start_rotation()
            self.update_dimming()
        else:
            app.removeEventFilter(self)  # type: ignore[union-attr]
            for timer in (self._idle, self._dim, self._shift, self._rotate):
                timer.stop()
            self._show_cursor()
            self.overlay.hide()
            self.pin_pad.hide()
            self.window.centralWidget().setContentsMargins(0, 0, 0, 0)
            if was_visible:
                self.window.showNormal()

    def request_exit(self) -> None:
        """A long press happened: ask for the PIN when one is set, else leave."""
        if self.pin:
            self.pin_pad.ask()
        else:
            self.set_enabled(False)

    def _on_pin(self, pin: str) -> None:
        if verify_pin(pin, self.pin):
            self.pin_pad.hide()
            self.set_enabled(False)
        else:
            self.pin_pad.reject("wrong PIN")

    def update_dimming(self, now: dtime | None = None) -> bool:
        dim = self.enabled and in_dim_window(now or datetime.now().time(), self.dim_start, self.dim_end)
        if dim:
            self.overlay.setGeometry(self.window.centralWidget().rect())
            self.overlay.raise_()
        self.overlay.setVisible(dim)
        return dim

    def shift_pixels(self) -> tuple[int, int]:
        self.shift_index = (self.shift_index + 1) % len(SHIFTS)
        dx, dy = SHIFTS[self.shift_index]
        self.window.centralWidget().setContentsMargins(dx, dy, 1 - dx, 1 - dy)
        return dx, dy

    def rotate_tab(self) -> None:
        tabs = self.window.tabs
        if tabs.count():
            tabs.setCurrentIndex((tabs.currentIndex() + 1) % tabs.count())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._show_cursor()
            self._idle.start()
            if self._rotate.isActive():
                self._rotate.start()  # someone is using it: postpone the next rotation
        return False

    def _start_rotation(self) -> None:
        if self.enabled and self.rotate_s > 0:
            self._rotate.start(self.rotate_s * 1000)
        else:
            self._rotate.stop()

    def _hide_cursor(self) -> None:
        if self.enabled and not self.cursor_hidden:
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
            self.cursor_hidden = True

    def _show_cursor(self) -> None:
        if self.cursor_hidden:
            QApplication.restoreOverrideCursor()
            self.cursor_hidden = False
