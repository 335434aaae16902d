"""Analytics over 1 h / 24 h / 7 d: events per minute and per domain, the area x hour heatmap, the most
active entities, duration outliers and the device reliability ranking. Every number is computed by
core (analytics, durations, reliability: shared with the REST API)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt, theme
from app.models.rows_model import RowsTableModel
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs import analytics_data as data
from app.widgets import ui
from app.widgets.bar_list import BarList
from app.widgets.cards import Card, StatTile
from app.widgets.heatmap import Heatmap
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table

REFRESH_MS = 60_000
TILES = {
    "total": "Events",
    "per_minute": "Per minute",
    "entities": "Active entities",
    "top": "Busiest domain",
}


def _table(model: RowsTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    setup_table(table, [c.sample for c in model.columns])
    table.setMinimumHeight(260)
    return table


@register_tab
class AnalyticsTab(BaseTab):
    key = "analytics"
    title = "Analytics"
    order = 70

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.seconds = data.RANGES["1 h"]
        self.data: data.AnalyticsData | None = None
        self.range_buttons = QButtonGroup(self)
        self.status = ui.label(name="muted")
        self.tiles = {k: StatTile(t) for k, t in TILES.items()}
        self.timeline = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.timeline.setMenuEnabled(False)
        self.timeline.setMouseEnabled(x=False, y=False)
        self.timeline.setLabel("left", "events / min")
        self.domains = BarList()
        self.heatmap = Heatmap()
        self.entities = RowsTableModel(data.ENTITY_COLUMNS)
        self.outliers = RowsTableModel(data.OUTLIER_COLUMNS)
        self.outlier_button = ui.button("Find outliers")
        self.outlier_status = ui.label(name="muted", wrap=True)
        self.outlier_button.clicked.connect(self.find_outliers)
        self.reliability = RowsTableModel(data.RELIABILITY_COLUMNS)
        self.content = QWidget()
        self.view = StateView(ui.scroll(self.content))
        self._setup_ui()
        self.every(REFRESH_MS, self.refresh)

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        for label, seconds in data.RANGES.items():
            button = ui.button(label, checkable=True, checked=seconds == self.seconds)
            button.clicked.connect(lambda _=False, s=seconds: self.set_range(s))
            self.range_buttons.addButton(button)
            bar.addWidget(button)
        bar.addWidget(self.status, 1)
        grid = QGridLayout(self.content)
        grid.setSpacing(12)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, 0, i)
        outliers = Card("Duration outliers (beyond each entity's own p1/p99 for the state)")
        outliers.header.addWidget(self.outlier_status, 1)
        outliers.header.addWidget(self.outlier_button)
        sections = [
            (Card("Events per minute"), self.timeline, 1, 0),
            (Card("Events per domain"), self.domains, 1, 2),
            (Card("Activity by area and hour"), self.heatmap, 2, 0),
            (Card("Most active entities"), _table(self.entities), 2, 2),
            (outliers, _table(self.outliers), 3, 0),
            (Card("Device reliability (worst first)"), _table(self.reliability), 3, 2),
        ]
        for card, widget, row, col in sections:
            card.body.addWidget(widget)
            card.setMinimumHeight(300)
            grid.addWidget(card, row, col, 1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.view.show_empty("No analytics yet", "Computed from the store when this tab is shown.")

    def set_range(self, seconds: int) -> None:
        self.seconds = seconds
        self.refresh()

    def refresh(self) -> None:
        store = self.runtime.store
        if store is None:
            self.view.show_empty("No analytics yet", "The store is not open yet.")
            return
        seconds = self.seconds
        self.status.setText("computing…")
        self.ctx.controller.submit(data.read_analytics(store, seconds), self._on_data, self._on_error)

    def _on_error(self, err: BaseException) -> None:
        self.status.setText("")
        self.view.show_error("Cannot compute the analytics", str(err))

    def _on_data(self, result: data.AnalyticsData) -> None:
        if result.end.timestamp() - result.start.timestamp() != self.seconds:
            return  # an older range's answer
        self.data = result
        stats = result.stats
        self.status.setText(
            f"{fmt.clock(result.start)} → {fmt.clock(result.end)} · computed {fmt.clock(result.computed_at)}"
        )
        if stats.total == 0:
            self.view.show_empty("No events in this window", "Pick a longer range or wait for data.")
            return
        self.view.show_content()
        top = stats.domains[0] if stats.domains else None
        self.tiles["total"].set(fmt.number(stats.total), f"{fmt.rate(stats.per_second)} on average")
        self.tiles["per_minute"].set(fmt.number(stats.per_minute, 1), "average over the window")
        self.tiles["entities"].set(fmt.number(stats.active_entities), "with at least one event")
        self.tiles["top"].set(top.key if top else fmt.DASH, f"{fmt.number(top.count)} events" if top else "")
        self._show_timeline(result)
        self.domains.set_items([(r.key or "(none)", r.count) for r in stats.domains])
        heat = result.heat
        self.heatmap.set_data([a.name for a in heat.areas], data.heat_columns(heat.hours, self.seconds),
                              [a.counts for a in heat.areas])  # fmt: skip
        self.entities.set_rows(stats.top_entities)
        self.outliers.set_rows([])
        self.outlier_status.setText("reads every raw event of the window: computed on request")
        self.reliability.set_rows(result.reliability)

    def find_outliers(self) -> None:
        """core.durations over the shown window (on request: it reads every raw event)."""
        if self.data is None or self.runtime.store is None:
            return
        start, end = self.data.start, self.data.end
        self.outlier_button.setEnabled(False)
        self.outlier_status.setText("reading the raw events…")
        self.ctx.controller.submit(
            data.read_durations(self.runtime.store, start, end), self._on_durations, self._on_durations_error
        )

    def _on_durations(self, result: Any) -> None:
        self.outlier_button.setEnabled(True)
        rows = data.outlier_rows(result)
        self.outliers.set_rows(rows)
        cut = " (row cap reached: newest rows not read)" if result.truncated else ""
        found = f"{len(rows)} states with outliers in {len(result.entities)} entities"
        self.outlier_status.setText(f"{found} · {fmt.clock(result.end)}{cut}")

    def _on_durations_error(self, err: BaseException) -> None:
        self.outlier_button.setEnabled(True)
        self.outlier_status.setText(f"failed: {err}")

    def _show_timeline(self, result: data.AnalyticsData) -> None:
        minutes = result.bucket_s / 60
        xs = [b.start.timestamp() for b in result.buckets]
        ys = [b.count / minutes for b in result.buckets]
        self.timeline.clear()
        if xs:
            width = result.bucket_s * 0.85
            bars = pg.BarGraphItem(x=[x + result.bucket_s / 2 for x in xs], height=ys, width=width,
                                   brush=theme.palette().accent, pen=None)  # fmt: skip
            self.timeline.addItem(bars)
            self.timeline.setXRange(result.start.timestamp(), result.end.timestamp(), padding=0)
