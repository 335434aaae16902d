"""Alerts: active and past alerts from the alert engine (core.alerts), severity and state filters,
Acknowledge and Resolve (the same engine calls the API makes), and the selected alert's history."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt, theme
from app.models.rows_model import ROW_ROLE, Column, RowsTableModel
from app.tabs import BaseTab, TabContext, register_tab
from app.widgets import ui
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table
from core.alerts import SPEC as ALERTS
from core.alerts import AlertEngine

LIMIT = 500
STATES = {"open": ("active", "acknowledged"), "resolved": ("resolved",), "all": None}
SEVERITIES = ("all severities", "critical", "warning")


def severity_color(alert: Any) -> str | None:
    pal = theme.palette()
    return {"critical": pal.bad, "warning": pal.warn}.get(alert.severity)


ALERT_COLUMNS = [
    Column("#", lambda a: str(a.id), align_right=True, sample="0000"),
    Column("Severity", lambda a: a.severity, color=severity_color),
    Column(
        "State",
        lambda a: a.state + (f" ({a.resolution})" if a.resolution else ""),
        sample="resolved (cleared)",
    ),
    Column("Alert", lambda a: a.message, tooltip=lambda a: a.message, sample=None),
    Column("Rule", lambda a: a.rule, sample="ha_disconnected"),
    Column("Raised", lambda a: fmt.clock(a.raised_at)),
    Column("Updated", lambda a: fmt.age(a.updated_at), sample="59 min 59 s ago"),
]


@register_tab
class AlertsTab(BaseTab):
    key = "alerts"
    title = "Alerts"
    order = 80

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = RowsTableModel(ALERT_COLUMNS)
        self.state = QComboBox()
        self.state.addItems(list(STATES))
        self.severity = QComboBox()
        self.severity.addItems(SEVERITIES)
        self.ack = QPushButton("Acknowledge")
        self.resolve = QPushButton("Resolve")
        self.result = ui.label(name="muted")
        self.history = QPlainTextEdit(readOnly=True, placeholderText="select an alert to see its history")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.view = StateView(self.table)
        self._alerts: list[Any] = []
        self._setup_ui()
        self.every(5000, self.refresh)
        self.track(ctx.bridge.alert, lambda _a: self.refresh())

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        for w in (QLabel("show"), self.state, self.severity, self.ack, self.resolve, self.result):
            bar.addWidget(w)
        bar.addStretch(1)
        setup_table(self.table, [c.sample for c in ALERT_COLUMNS])
        split = ui.stacked(self.view, self.history, (600, 180))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.state.currentIndexChanged.connect(self.refresh)
        self.severity.currentIndexChanged.connect(self._show)
        self.ack.clicked.connect(lambda: self._act("acknowledge"))
        self.resolve.clicked.connect(lambda: self._act("resolve"))
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self._update_buttons(None)

    @property
    def engine(self) -> AlertEngine | None:
        return self.runtime.engine(ALERTS)

    def refresh(self, *_: Any) -> None:
        engine = self.engine
        if engine is None:
            status = self.runtime.engine_status(ALERTS.name)
            self.view.show_error(
                "Alert engine not running", f"{status.state} {status.last_error or ''}".strip()
            )
            return
        states = STATES[self.state.currentText()]
        self.ctx.controller.submit(engine.list_alerts(states, LIMIT), self._on_alerts, self._on_error)

    def _on_alerts(self, alerts: list[Any]) -> None:
        self._alerts = alerts
        self._show()

    def _on_error(self, err: BaseException) -> None:
        self.view.show_error("Cannot read the alerts", str(err))

    def _show(self, *_: Any) -> None:
        severity = self.severity.currentText()
        rows = [a for a in self._alerts if severity == SEVERITIES[0] or a.severity == severity]
        selected = self._selected()
        self.model.set_rows(rows)
        if rows:
            self.view.show_content()
            self._reselect(selected)
        else:
            which = self.state.currentText()
            self.view.show_empty(f"No {which} alerts" if which != "all" else "No alerts yet",
                                 "Alerts are raised by the rules on real runtime state (HA link, "
                                 "event flow, InfluxDB outbox, disk).")  # fmt: skip

    def _selected(self) -> Any:
        index = self.table.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def _reselect(self, alert: Any) -> None:
        if alert is None:
            self._update_buttons(None)
            return
        for row, a in enumerate(self.model.rows):
            if a.id == alert.id:
                self.table.selectRow(row)
                return
        self._update_buttons(None)

    def _on_current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        alert = index.data(ROW_ROLE) if index.isValid() else None
        self._update_buttons(alert)
        if alert is not None and self.engine is not None:
            self.ctx.controller.submit(self.engine.get(alert.id), self._on_history, self._on_error)

    def _on_history(self, found: Any) -> None:
        if found is None:
            self.history.clear()
            return
        alert, entries = found
        lines = [f"#{alert.id} {alert.severity} · {alert.rule} · {alert.state}", alert.message, ""]
        lines += [f"{fmt.clock(e.at)}  {e.action}  {e.detail or ''}" for e in entries]
        self.history.setPlainText("\n".join(lines))

    def _update_buttons(self, alert: Any) -> None:
        self.ack.setEnabled(alert is not None and alert.state == "active")
        self.resolve.setEnabled(alert is not None and alert.is_open)

    def _act(self, action: str) -> None:
        alert = self._selected()
        if alert is None or self.engine is None:
            return
        work = getattr(self.engine, action)(alert.id)
        self.result.setText(f"{action} #{alert.id}…")
        self.ctx.controller.submit(work, lambda a: self._acted(action, a), self._on_error)

    def _acted(self, action: str, alert: Any) -> None:
        self.result.setText(f"#{alert.id} is now {alert.state}" if alert else f"{action}: unknown alert")
        self.refresh()
