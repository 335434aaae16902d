"""What every tab shares: the context it works with, timers that run only while it is visible, and
signal connections that are dropped when it goes away."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app.bridge import Bridge
from app.controller import Controller
from app.widgets import ui
from core.runtime import Runtime


@dataclass(slots=True)
class TabContext:
    runtime: Runtime
    bridge: Bridge
    controller: Controller


class BaseTab(QWidget):
    key: ClassVar[str] = ""  # stable id: the screenshot file name, the kiosk rotation order
    title: ClassVar[str] = ""
    order: ClassVar[int] = 100

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._timers: list[QTimer] = []
        self._connections: list[tuple[Any, Callable[..., Any]]] = []
        connections = self._connections
        self.destroyed.connect(lambda *_: _disconnect_all(connections))

    @property
    def runtime(self) -> Runtime:
        return self.ctx.runtime

    def every(self, ms: int, callback: Callable[[], None]) -> QTimer:
        """A repeating timer that runs only while this tab is visible."""
        timer = ui.timer(self, ms, callback)
        self._timers.append(timer)
        if self.isVisible():
            timer.start()
        return timer

    def track(self, signal: Any, slot: Callable[..., Any]) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def refresh(self) -> None:
        """Pull current data; called when the tab is shown."""

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        for timer in self._timers:
            timer.start()
        self.refresh()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        for timer in self._timers:
            timer.stop()

    @property
    def timers_running(self) -> bool:
        return any(t.isActive() for t in self._timers)


def _disconnect_all(connections: list[tuple[Any, Callable[..., Any]]]) -> None:
    for signal, slot in connections:
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect(slot)
    connections.clear()
