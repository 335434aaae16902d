"""The main window: registered tabs in a QTabWidget, a status bar that carries health (and the tray's
information when the platform has no tray), and a scale that follows the window size."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QTabWidget, QWidget

from app import fmt, theme
from app.tabs import BaseTab, TabContext, tab_classes
from app.widgets import ui
from app.widgets.cards import StatusDot
from core.logs import redact

APP_TITLE = "HA Ingestor"


class HealthIndicator(QWidget):
    """Status-bar health: a dot in the health colour and the reason."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        self.dot = StatusDot(theme.palette().muted)
        self.label = QLabel("starting…")
        layout.addWidget(self.dot)
        layout.addWidget(self.label)

    def set_report(self, report: Any) -> None:
        self.dot.set_color(theme.health_color(report.status))
        self.label.setText(f"{report.status}: {report.summary}")


class MainWindow(QMainWindow):
    closing = Signal()  # the user closed the window: the session shuts the runtime down

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(APP_TITLE)
        self.resize(1280, 800)
        self.tabs = QTabWidget(documentMode=True)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.tabBar().setDrawBase(False)
        self.setCentralWidget(self.tabs)
        self.tab_by_key: dict[str, BaseTab] = {}
        for cls in tab_classes():
            self.add_tab(cls(ctx))
        self.health = HealthIndicator()
        self.statusBar().addWidget(self.health, 1)
        self.notice = ui.label("", name="muted")
        self.statusBar().addPermanentWidget(self.notice)
        self._scale_timer = ui.timer(self, 150, self._apply_scale, single_shot=True)
        ctx.bridge.health_changed.connect(self.health.set_report)

    def add_tab(self, tab: BaseTab) -> None:
        self.tab_by_key[tab.key] = tab
        self.tabs.addTab(tab, tab.title)

    def show_tab(self, key: str) -> BaseTab:
        tab = self.tab_by_key[key]
        self.tabs.setCurrentWidget(tab)
        return tab

    def current_tab(self) -> BaseTab:
        return self.tabs.currentWidget()  # type: ignore[return-value]

    def show_notice(self, text: str, t: float | None = None) -> None:
        """The last notification, kept in the status bar (the only place when there is no tray)."""
        text = redact(text)  # an error text may quote a token (e.g. a hostile HA's auth_invalid)
        self.notice.setText(f"{text}  ({fmt.clock(t)})" if t else text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._scale_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)

    def _apply_scale(self) -> None:
        mgr = theme.manager()
        if mgr is not None:
            mgr.set_scale(theme.scale_for(self.width(), self.height()))
