"""Services: one card per engine of the catalogue (runtime.statuses(), titled by each spec's label), with
a Restart button -> runtime.restart_engine (which restarts the engine's dependants with it),
and a "This app" card: the process's own health from the runtime's latest metrics sample."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGridLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from app import fmt, theme
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from app.widgets.cards import Card, StatusDot
from app.widgets.state_view import StateView
from core.alerts import SPEC as ALERTS
from core.process_health import MIB, WINDOW_S, rss_source

COLUMNS = 4
MEASURING = "measuring…"
# key -> row label; the keys are what ProcessCard.values is indexed by
PROCESS_ROWS = {
    "lag_p99": "loop lag p99 (1 min)",
    "lag_max": "loop lag max (1 min)",
    "gc": "longest GC pause (1 min)",
    "rss": {"VmRSS": "memory (RSS)", "maxrss": "peak memory (RSS)"}.get(rss_source() or "", "memory"),
    "cpu": "CPU",
    "uptime": "uptime",
}


def counter_text(key: str, value: int) -> str:
    return fmt.size(value) if key.endswith("bytes") else fmt.number(value)


class EngineCard(Card):
    def __init__(self, name: str, title: str, on_restart: Any, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.name = name
        self.title.setToolTip(f"engine {name}")
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


def process_texts(
    sample: Any, gc_max_ms: float | None, started_at: float | None, now: float
) -> dict[str, str]:
    """The "This app" values from a MetricsSample (None before the first one): display only, and
    "measuring…" wherever nothing has been measured yet."""

    def show(value: float | None, text: Callable[[float], str]) -> str:
        return MEASURING if value is None else text(value)

    if sample is None:
        texts = dict.fromkeys(PROCESS_ROWS, MEASURING)
    else:
        texts = {
            "lag_p99": show(sample.loop_lag_p99_ms, fmt.ms),
            "lag_max": show(sample.loop_lag_max_ms, fmt.ms),
            "gc": show(gc_max_ms, lambda v: fmt.ms(v) if v > 0 else "no full collection"),
            "rss": show(sample.rss_mb, lambda v: fmt.size(v * MIB)),
            "cpu": show(sample.cpu_percent, fmt.percent),
        }
        if rss_source() is None:
            texts["rss"] = "not available on this system"
    texts["uptime"] = fmt.duration(None if started_at is None else now - started_at)
    return texts


class ProcessCard(Card):
    """Same card style as the engines: loop lag, GC pause, memory, CPU and uptime of this process."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("This app", parent)
        self.dot = StatusDot()
        self.header.insertWidget(0, self.dot)
        self.state = ui.label(MEASURING, name="stateTitle")
        self.detail = ui.label(f"pid {os.getpid()}", name="muted", wrap=True)
        self.form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, title in PROCESS_ROWS.items():
            self.values[key] = QLabel(MEASURING)
            self.form.addRow(ui.label(title, name="muted"), self.values[key])
        for w in (self.state, self.detail):
            self.body.addWidget(w)
        self.body.addLayout(self.form)
        self.body.addStretch(1)

    def update_health(
        self, sample: Any, gc_max_ms: float | None, started_at: float | None, lagging: bool
    ) -> None:
        """`lagging`: the alert engine holds an open "loop_lagging" alert (it owns the threshold)."""
        now = time.time()
        state = MEASURING if sample is None else "event loop lagging" if lagging else "running"
        self.dot.set_color(theme.state_color("degraded" if lagging else "running"))
        self.state.setText(state)
        for key, text in process_texts(sample, gc_max_ms, started_at, now).items():
            self.values[key].setText(text)


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
        self.process_card = ProcessCard()
        self.grid.addWidget(self.process_card, 0, 0)  # first: the host of every engine below
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(inner)
        self.view = StateView(scroll)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view)
        self.every(1000, self.refresh)
        self.track(ctx.bridge.engine_status, lambda _s: self.refresh())

    def refresh(self) -> None:
        self._refresh_process()
        statuses = self.runtime.statuses()
        if not statuses:
            self.view.show_empty("No engines yet", "The runtime has not started any engine.")
            return
        self.view.show_content()
        labels = {spec.name: spec.label for spec in self.runtime.specs}
        labels["sqlite"] = "SQLite store"
        for status in statuses:
            card = self.cards.get(status.name) or self._add_card(
                status.name, labels.get(status.name, status.name)
            )
            card.update_status(status, restartable=self.runtime.is_restartable(status.name))

    def _refresh_process(self) -> None:
        history = self.runtime.metrics_history
        sample = history.latest()
        # The per-second GC maximum is mostly 0: show the longest of the last minute instead.
        gc_max = history.max_since("gc_pause_max_ms", sample.t - WINDOW_S) if sample is not None else None
        alerts = self.runtime.engine(ALERTS)
        lagging = alerts is not None and any(a.rule == "loop_lagging" for a in alerts.open_alerts())
        self.process_card.update_health(sample, gc_max, self.runtime.started_at, lagging)

    def _add_card(self, name: str, title: str) -> EngineCard:
        card = EngineCard(name, title, self._restart)
        n = len(self.cards) + 1  # after the "This app" card
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
