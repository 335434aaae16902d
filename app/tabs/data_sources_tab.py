"""Data Sources: a card per source (status colour, provider, data age, next fetch, last error, a
Test button that fetches now through the controller) and charts of the next two days: price bars
coloured cheap → expensive with "now" marked, the carbon curve with its band colours, temperature
over precipitation, and the European AQI. A source without data says why instead of drawing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app import theme
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs import data_sources_data as data
from app.widgets import ui
from app.widgets.cards import Card, StatusDot
from app.widgets.slot_chart import SlotChart
from core.datasources import SPEC as DATA_SOURCES
from core.datasources.engine import DataSourcesEngine
from core.datasources.model import Source, SourceStatus

CARD_SOURCES = (Source.PRICES, Source.CARBON, Source.WEATHER, Source.AIR_QUALITY, Source.CALENDAR)
CHART_SOURCES = (Source.PRICES, Source.CARBON, Source.WEATHER, Source.AIR_QUALITY)


def state_color(state: str) -> str:
    pal = theme.palette()
    return {"ok": pal.ok, "waiting": pal.accent, "never": pal.muted, "stale": pal.warn,
            "rate_limited": pal.warn, "error": pal.bad}.get(state, pal.muted)  # fmt: skip


class SourceCard(Card):
    def __init__(self, source: Source) -> None:
        super().__init__(data.TITLES[source])
        self.source = source
        self.dot = StatusDot()
        self.header.insertWidget(0, self.dot)
        self.state = ui.label("", name="muted")
        self.header.addWidget(self.state)
        self.headline = ui.label("—", name="bigValue")
        self.caption = ui.label("", name="cardTitle", wrap=True)
        self.body.addWidget(self.headline)
        self.body.addWidget(self.caption)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.body.addLayout(self.grid)
        self.rows: list[tuple[QLabel, QLabel]] = []
        self.values: dict[str, QLabel] = {}  # the value label of each shown key
        self.error = ui.label("", name="errorText", wrap=True)
        self.error.hide()
        self.body.addWidget(self.error)
        self.body.addStretch(1)
        self.test_button = ui.button("Test")
        self.body.addWidget(self.test_button)

    def set_text(self, text: data.CardText) -> None:
        self.dot.set_color(state_color(text.state))
        self.state.setText(text.state.replace("_", " "))
        self.headline.setText(text.headline)
        self.caption.setText(text.caption)
        self.caption.setVisible(bool(text.caption))
        while len(self.rows) < len(text.lines):  # rows by position: the calendar's keys are times
            key, value = ui.label("", name="muted"), QLabel(wordWrap=True)
            self.grid.addWidget(key, len(self.rows), 0)
            self.grid.addWidget(value, len(self.rows), 1)
            self.rows.append((key, value))
        self.values = {}
        for i, (key_label, value_label) in enumerate(self.rows):
            shown = i < len(text.lines)
            key_label.setVisible(shown)
            value_label.setVisible(shown)
            if shown:
                key_label.setText(text.lines[i][0])
                value_label.setText(text.lines[i][1])
                self.values[text.lines[i][0]] = value_label
        self.error.setVisible(bool(text.error))
        self.error.setText(text.error)
        self.test_button.setEnabled(text.can_test and self.test_button.text() == "Test")


@register_tab
class DataSourcesTab(BaseTab):
    key = "data_sources"
    title = "Data Sources"
    order = 65

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.cards = {s: SourceCard(s) for s in CARD_SOURCES}
        self.charts = {s: SlotChart() for s in CHART_SOURCES}
        self.notice = ui.label("", name="muted", wrap=True)
        self._setup_ui()
        for source, card in self.cards.items():
            card.test_button.clicked.connect(lambda _=False, s=source: self.test_source(s))
        self.every(5_000, self.refresh)

    def _setup_ui(self) -> None:
        grid = QGridLayout(self)
        grid.setSpacing(12)
        for column in range(len(CARD_SOURCES)):
            grid.setColumnStretch(column, 1)
        grid.addWidget(self.notice, 0, 0, 1, len(CARD_SOURCES))
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, 1, i)
        half = len(CARD_SOURCES) // 2
        for i, chart in enumerate(self.charts.values()):
            row, col = divmod(i, 2)
            span = half if col == 0 else len(CARD_SOURCES) - half
            grid.addWidget(chart, 2 + row, 0 if col == 0 else half, 1, span)
        grid.setRowStretch(2, 3)
        grid.setRowStretch(3, 3)

    @property
    def engine(self) -> DataSourcesEngine | None:
        return self.runtime.engine(DATA_SOURCES)

    def refresh(self) -> None:
        engine = self.engine
        if engine is None:
            self.notice.setText(
                "The data sources engine is not running (turned off in Configuration, or starting)."
            )
            self.notice.show()
            for card in self.cards.values():
                card.set_text(data.CardText(card.title.text(), "disabled", "—", "", (), "", False))
            empty = data.ChartData("", "", empty_reason="No data: the data sources engine is not running")
            for chart in self.charts.values():
                chart.set_data(empty)
            return
        self.notice.setVisible(engine.demo is not None)
        self.notice.setText(
            "Demo: values come from the built-in provider server (simulated, not real prices)."
        )
        for status in engine.source_statuses():
            self.cards[status.source].set_text(data.card_text(engine, status))
        now = datetime.now(UTC)
        for source, chart_data in data.charts(engine, now).items():
            self.charts[source].set_data(chart_data)

    def test_source(self, source: Source) -> None:
        engine = self.engine
        if engine is None:
            return
        card = self.cards[source]
        card.test_button.setText("Testing…")
        card.test_button.setEnabled(False)

        def done(_status: SourceStatus | Any) -> None:
            card.test_button.setText("Test")
            self.refresh()

        self.ctx.controller.submit(engine.test(source), done, done)
