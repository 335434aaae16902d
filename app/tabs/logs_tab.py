"""Logs: the structured log ring (core.logs) with level and engine filters, search, follow mode,
and correlation ids that filter to everything one request caused when clicked.

Filtering is core's `LogRing.query(LogQuery)`, the same the Logs endpoint uses."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
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
from core.logs import ENGINE_BY_LOGGER, LEVELS, LogQuery, LogRing, get_log_ring

SHOWN = 1000
CID_COLUMN = 4


def level_color(entry: Any) -> str | None:
    pal = theme.palette()
    return {"WARNING": pal.warn, "ERROR": pal.bad, "CRITICAL": pal.bad, "DEBUG": pal.muted}.get(entry.level)


LOG_COLUMNS = [
    Column("Time", lambda e: fmt.clock(e.t, with_ms=True), sample="00:00:00.000"),
    Column("Level", lambda e: e.level, color=level_color, sample="WARNING"),
    Column("Engine", lambda e: e.engine, sample="ha_client"),
    Column("Message", lambda e: e.message, tooltip=lambda e: e.message, sample=None),
    Column(
        "Correlation",
        lambda e: (e.correlation_id or "")[:12],
        sample="0123456789ab",
        color=lambda e: theme.palette().accent,
        tooltip=lambda e: "click to show everything with this correlation id" if e.correlation_id else "",
    ),
]


@register_tab
class LogsTab(BaseTab):
    key = "logs"
    title = "Logs"
    order = 60

    def __init__(self, ctx: TabContext, parent: QWidget | None = None, ring: LogRing | None = None) -> None:
        super().__init__(ctx, parent)
        self._ring = ring
        self.model = RowsTableModel(LOG_COLUMNS)
        self.level = QComboBox()
        self.level.addItems(LEVELS[:4])
        self.level.setCurrentText("INFO")
        self.engine = QComboBox()
        self.engine.addItems(["all engines", *sorted(set(ENGINE_BY_LOGGER.values()))])
        self.search = QLineEdit(placeholderText="search message and fields…", clearButtonEnabled=True)
        self.follow = QCheckBox("Follow")
        self.follow.setChecked(True)
        self.correlation: str | None = None
        self.cid_label = ui.label(name="muted")
        self.cid_clear = QPushButton("Show all")
        self.cid_clear.hide()
        self.detail = QPlainTextEdit(readOnly=True)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.view = StateView(self.table)
        self._newest: int | None = None
        self._setup_ui()
        self.every(500, self._poll)
        self.track(ctx.bridge.log_records, lambda _r: self._poll())

    @property
    def ring(self) -> LogRing:
        """The ring logging writes to now (setup_logging may replace it after this tab was built)."""
        return self._ring or get_log_ring(self.runtime.bus)

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        for w in (QLabel("level ≥"), self.level, self.engine, self.search, self.follow, self.cid_label,
                  self.cid_clear):  # fmt: skip
            bar.addWidget(w, 1 if w is self.search else 0)
        setup_table(self.table, [c.sample for c in LOG_COLUMNS])
        split = ui.stacked(self.view, self.detail, (600, 160))
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        for combo in (self.level, self.engine):
            combo.currentIndexChanged.connect(self.refresh)
        self.search.textChanged.connect(self.refresh)
        self.follow.toggled.connect(self._on_follow)
        self.cid_clear.clicked.connect(lambda: self.filter_correlation(None))
        self.table.clicked.connect(self._on_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)

    def query(self) -> LogQuery:
        engine = self.engine.currentText()
        return LogQuery(
            level=self.level.currentText(),
            engine=None if engine == "all engines" else engine,
            correlation_id=self.correlation,
            text=self.search.text().strip() or None,
            limit=SHOWN,
        )

    def refresh(self, *_: Any) -> None:
        self._newest = self._ring_newest()
        entries = self.ring.query(self.query())
        self.model.set_rows(entries)
        if entries:
            self.view.show_content()
        elif len(self.ring) == 0:
            self.view.show_empty("No log records yet", "Records appear here as the engines log.")
        else:
            self.view.show_empty("No record matches these filters", f"{len(self.ring)} records in the ring.")

    def filter_correlation(self, cid: str | None) -> None:
        self.correlation = cid
        self.cid_label.setText(f"correlation {cid}" if cid else "")
        self.cid_clear.setVisible(bool(cid))
        if cid:
            self.level.setCurrentText("DEBUG")
        self.refresh()

    def _on_follow(self, on: bool) -> None:
        if on:
            self.refresh()

    def _poll(self) -> None:
        if not self.follow.isChecked() or not self.isVisible():
            return
        if self._ring_newest() != self._newest:
            self.refresh()

    def _ring_newest(self) -> int | None:
        newest = self.ring.query(LogQuery(limit=1))
        return newest[0].seq if newest else None

    def _on_clicked(self, index: QModelIndex) -> None:
        entry = index.data(ROW_ROLE)
        if index.column() == CID_COLUMN and entry is not None and entry.correlation_id:
            self.filter_correlation(entry.correlation_id)

    def _on_current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        entry = index.data(ROW_ROLE) if index.isValid() else None
        if entry is None:
            self.detail.clear()
            return
        head = f"{entry.timestamp}  {entry.level}  {entry.engine}  {entry.operation}  ({entry.logger})"
        body = json.dumps(entry.fields, indent=2, default=str) if entry.fields else ""
        self.detail.setPlainText(f"{head}\n{entry.message}\n\n{body}".rstrip())
