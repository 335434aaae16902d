"""A button that acts only when held down (kiosk exit): a short press does nothing but hint."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QWidget

from app.widgets import ui

HOLD_MS = 2000


class LongPressButton(QPushButton):
    long_pressed = Signal()
    short_pressed = Signal()

    def __init__(self, text: str, hold_ms: int = HOLD_MS, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.hold_ms = hold_ms
        self._timer = ui.timer(self, hold_ms, self._on_held, single_shot=True)
        self.pressed.connect(self._on_pressed)
        self.released.connect(self._on_released)

    def _on_pressed(self) -> None:
        self._timer.start()

    def _on_released(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.short_pressed.emit()

    def _on_held(self) -> None:
        self.long_pressed.emit()

    def hideEvent(self, event: Any) -> None:
        self._timer.stop()
        super().hideEvent(event)
