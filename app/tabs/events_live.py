"""The live half of the Events tab: the capped stream of stored events, pause, filters and search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QTableView, QVBoxLayout, QWidget

from app import fmt, registry_view
from app.models.event_table_model import EVENT_SAMPLES, EventFilterProxy, EventTableModel
from app.models.rows_model import ROW_ROLE
from app.tabs.base import TabContext
from app.widgets import ui
from app.widgets.filter_combo import FilterCombo
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table


class LiveEvents(QWidget):
    event_selected = Signal(object)  # EnrichedEvent

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = EventTableModel(area_name=lambda a: registry_view.area_name(ctx.runtime, a))
        self.proxy = EventFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.pause = ui.button("Pause", checkable=True)
        self.domain = FilterCombo("all domains")
        self.area = FilterCombo("all areas")
        self.search = QLineEdit(placeholderText="search entity, name or state…", clearButtonEnabled=True)
        self.counts = ui.label(name="muted")
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.view = StateView(self.table)
        self._setup_ui()
        self.model.set_held(True)  # until first shown
        ctx.bridge.events_stored.connect(self.model.add_batch)
        self.model.appended.connect(self._on_appended)
        self.model.modelReset.connect(self._update_counts)

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        for w in (self.pause, self.domain, self.area, self.search, self.counts):
            bar.addWidget(w, 1 if w is self.search else 0)
        setup_table(self.table, EVENT_SAMPLES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.pause.toggled.connect(self._on_pause)
        for combo in (self.domain, self.area):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.search.textChanged.connect(self.apply_filters)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self._update_counts()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.model.set_held(False)
        self._update_counts()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.model.set_held(True)  # a hidden table does no per-batch work

    def refresh_choices(self) -> None:
        self.domain.set_choices(registry_view.domain_choices(self.ctx.runtime))
        self.area.set_choices(registry_view.area_choices(self.ctx.runtime))

    def apply_filters(self, *_: Any) -> None:
        self.proxy.set_filters(self.domain.value, self.area.value, self.search.text())
        self._update_counts()

    def _on_pause(self, paused: bool) -> None:
        self.model.set_paused(paused)
        self.pause.setText("Resume" if paused else "Pause")
        self._update_counts()

    def _on_appended(self, _n: int) -> None:
        self._update_counts()

    def _update_counts(self) -> None:
        shown, kept = self.proxy.rowCount(), self.model.rowCount()
        paused = f" · paused, {fmt.number(self.model.pending_count)} waiting" if self.model.paused else ""
        dropped = self.ctx.bridge.dropped_events
        paused += f" · {fmt.number(dropped)} not shown (GUI fell behind)" if dropped else ""
        self.counts.setText(
            f"{fmt.number(shown)} shown of {fmt.number(kept)} kept (newest {self.model.cap}){paused}"
        )
        if kept == 0:
            self.view.show_empty("No events yet", "Stored events appear here live as they are committed.")
        elif shown == 0:
            self.view.show_empty("No event matches these filters", f"{fmt.number(kept)} recent events kept.")
        else:
            self.view.show_content()

    def _on_current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        event = index.data(ROW_ROLE) if index.isValid() else None
        if event is not None:
            self.event_selected.emit(event)
