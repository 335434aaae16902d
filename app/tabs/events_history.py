"""The history half of the Events tab: a time range and filters, paged through the store
(EventQueries.events with its cursor), newest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import registry_view
from app.models.event_table_model import COLUMNS, EVENT_SAMPLES, AreaName
from app.models.rows_model import ROW_ROLE, Column, RowsTableModel
from app.tabs.base import TabContext
from app.widgets import ui
from app.widgets.filter_combo import FilterCombo
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table

PAGE_SIZE = 200
RANGES = {"last hour": 3600, "last 24 hours": 86400, "last 7 days": 7 * 86400, "custom range": None}


def stored_event_columns(area: AreaName) -> list[Column]:
    """The live stream's columns, over StoredEvent rows."""

    def column(header: str, text: Callable[[Any, AreaName], str]) -> Column:
        return Column(header, lambda stored: text(stored.event, area))

    return [column(header, text) for header, text in COLUMNS]


class HistoryEvents(QWidget):
    event_selected = Signal(object)  # EnrichedEvent

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = RowsTableModel(stored_event_columns(lambda a: registry_view.area_name(ctx.runtime, a)))
        self.range = QComboBox()
        self.range.addItems(list(RANGES))
        self.start = QDateTimeEdit(calendarPopup=True, displayFormat="yyyy-MM-dd HH:mm")
        self.end = QDateTimeEdit(calendarPopup=True, displayFormat="yyyy-MM-dd HH:mm")
        self.entity = QLineEdit(placeholderText="entity_id (exact)", clearButtonEnabled=True)
        self.domain = FilterCombo("all domains")
        self.area = FilterCombo("all areas")
        self.search_button = ui.button("Search", "primary")
        self.newer = QPushButton("◀ Newer")
        self.older = QPushButton("Older ▶")
        self.page_label = ui.label(name="muted")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.view = StateView(self.table)
        self.cursors: list[str | None] = [None]  # cursor of each page visited; the last is the current
        self._next_cursor: str | None = None
        self._setup_ui()
        self._on_range()

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        for w in (self.range, self.start, QLabel("→"), self.end, self.entity, self.domain, self.area,
                  self.search_button):  # fmt: skip
            bar.addWidget(w, 1 if w is self.entity else 0)
        pager = QHBoxLayout()
        pager.addWidget(self.newer)
        pager.addWidget(self.older)
        pager.addWidget(self.page_label, 1)
        setup_table(self.table, EVENT_SAMPLES)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addLayout(pager)
        self.range.currentIndexChanged.connect(self._on_range)
        self.search_button.clicked.connect(self.search)
        self.entity.returnPressed.connect(self.search)
        self.newer.clicked.connect(self.page_newer)
        self.older.clicked.connect(self.page_older)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.view.show_empty("Search the stored events", "Pick a time range and filters, then Search.")
        self._update_pager()

    def refresh_choices(self) -> None:
        self.domain.set_choices(registry_view.domain_choices(self.ctx.runtime))
        self.area.set_choices(registry_view.area_choices(self.ctx.runtime))

    def time_window(self) -> tuple[datetime, datetime]:
        start, end = self.start.dateTime().toPython(), self.end.dateTime().toPython()
        assert isinstance(start, datetime) and isinstance(end, datetime)
        return start.astimezone(), end.astimezone()

    def search(self) -> None:
        if RANGES[self.range.currentText()] is not None:
            self._on_range()  # a preset means "until now": move the window to now
        self.cursors = [None]
        self._load()

    def page_older(self) -> None:
        if self._next_cursor is not None:
            self.cursors.append(self._next_cursor)
            self._load()

    def page_newer(self) -> None:
        if len(self.cursors) > 1:
            self.cursors.pop()
            self._load()

    def event_filter(self) -> Any:
        from core.store.query_types import EventFilter

        return EventFilter(entity_id=self.entity.text().strip() or None, domain=self.domain.value,
                           area_id=self.area.value)  # fmt: skip

    def _load(self) -> None:
        start, end = self.time_window()
        flt, cursor = self.event_filter(), self.cursors[-1]
        self.page_label.setText("loading…")
        self.ctx.controller.query(
            lambda q: q.events(start, end, flt, limit=PAGE_SIZE, cursor=cursor), self._on_page, self._on_error
        )

    def _on_page(self, page: Any) -> None:
        self._next_cursor = page.next_cursor
        self.model.set_rows(page.events)
        if page.events:
            self.view.show_content()
        else:
            self.view.show_empty("No stored event in this range", "Widen the range or clear a filter.")
        self._update_pager()

    def _on_error(self, err: BaseException) -> None:
        self.view.show_error("Cannot read the store", str(err))
        self.page_label.setText("")

    def _update_pager(self) -> None:
        self.newer.setEnabled(len(self.cursors) > 1)
        self.older.setEnabled(self._next_cursor is not None)
        n = len(self.model.rows)
        self.page_label.setText(f"page {len(self.cursors)} · {n} events" if n else "")

    def _on_range(self, *_: Any) -> None:
        seconds = RANGES[self.range.currentText()]
        self.start.setEnabled(seconds is None)
        self.end.setEnabled(seconds is None)
        if seconds is not None:
            now = datetime.now()
            self.end.setDateTime(QDateTime(now + timedelta(minutes=1)))
            self.start.setDateTime(QDateTime(now - timedelta(seconds=seconds)))

    def _on_current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        stored = index.data(ROW_ROLE) if index.isValid() else None
        if stored is not None:
            self.event_selected.emit(stored.event)
