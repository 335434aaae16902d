"""Services: one card per engine (runtime.statuses()), with a Restart button -> runtime.restart_engine."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGridLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app import fmt, theme
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from app.widgets.cards import Card, StatusDot
from app.widgets.state_view import StateView

COLUMNS = 4


def counter_text(key: str, value: int) -> str:
    return fmt.size(value) if key.endswith("bytes") else fmt.number(value)


class EngineCard(Card):
    def __init__(self, name: str, on_restart: Any, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.name = name
        self.dot = StatusDot()
        self.header.insertWidget(0, self.dot)
        self.state = ui.label(name="stateTitle")
        self.detail = ui.label(name="muted", wrap=True)
        self.form = QFormLayout()
        self._rows: list[tuple[QLabel, QLabel]] = []
        self.last_error = ui.label(name="errorText", wrap=True)
        self.restart = QPushButton("Restart")
        self.restart.clicked.connect(lambda: on_restart(self))
        self.result = ui.label(name="muted", wrap=True)
        for w in (self.state, self.detail):
            self.body.addWidget(w)
        self.body.addLayout(self.form)
        self.body.addWidget(self.last_error)
        self.body.addStretch(1)
        self.body.addWidget(self.restart, alignment=Qt.AlignmentFlag.AlignLeft)
        self.body.addWidget(self.result)

    def update_status(self, status: Any, restartable: bool) -> None:
        self.dot.set_color(theme.state_color(status.state))
        self.state.setText(str(status.state))
        self.detail.setText(status.detail)
        rows = [("uptime", fmt.duration(status.uptime_s)), ("errors", fmt.number(status.errors))]
        rows += [(k.replace("_", " "), fmt.rate(v, "")) for k, v in sorted(status.rates.items())]
        rows += [
            (k.replace("_", " "), counter_text(k, v))
            for k, v in sorted(status.counters.items())
            if k != "errors"
        ]
        self._set_rows(rows)
        if status.last_error:
            self.last_error.setText(f"last error ({fmt.age(status.last_error_at)}): {status.last_error}")
        else:
            self.last_error.setText("")
        self.restart.setVisible(restartable)

    def _set_rows(self, rows: list[tuple[str, str]]) -> None:
        while len(self._rows) > len(rows):
            self._rows.pop()
            self.form.removeRow(self.form.rowCount() - 1)
        for i, (key, value) in enumerate(rows):
            if i == len(self._rows):
                self._rows.append((ui.label(name="muted"), QLabel()))
                self.form.addRow(*self._rows[i])
            self._rows[i][0].setText(key)
            self._rows[i][1].setText(value)


@register_tab
class ServicesTab(BaseTab):
    key = "services"
    title = "Services"
    order = 20

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.cards: dict[str, EngineCard] = {}
        inner = QWidget()
        self.grid = QGridLayout(inner)
        self.grid.setSpacing(12)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(inner)
        self.view = StateView(scroll)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self.every(1000, self.refresh)
        self.track(ctx.bridge.engine_status, lambda _s: self.refresh())

    def refresh(self) -> None:
        statuses = self.runtime.statuses()
        if not statuses:
            self.view.show_empty("No engines yet", "The runtime has not started any engine.")
            return
        self.view.show_content()
        for status in statuses:
            card = self.cards.get(status.name) or self._add_card(status.name)
            card.update_status(status, restartable=status.name in self.runtime.engines)

    def _add_card(self, name: str) -> EngineCard:
        card = EngineCard(name, self._restart)
        n = len(self.cards)
        self.grid.addWidget(card, n // COLUMNS, n % COLUMNS)
        self.cards[name] = card
        return card

    def _restart(self, card: EngineCard) -> None:
        card.restart.setEnabled(False)
        card.result.setText("restarting…")

        def done(status: Any) -> None:
            card.restart.setEnabled(True)
            card.result.setText(f"restarted at {fmt.clock(time.time())}: now {status.state}")
            self.refresh()

        def failed(err: BaseException) -> None:
            card.restart.setEnabled(True)
            card.result.setText(f"restart failed: {err}")

        self.ctx.controller.restart_engine(card.name, done, failed)
