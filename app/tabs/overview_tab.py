"""Overview: overall health with its reason, live events/s and latency, today's totals, the HA link,
storage and InfluxDB, and a banner for active alerts. Every number comes from the runtime."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app import fmt, theme
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs import overview_data as data
from app.widgets import ui
from app.widgets.cards import Card, StatTile, StatusDot
from app.widgets.live_chart import LiveChart, Series
from core.logs import redact


class HealthCard(Card):
    def __init__(self) -> None:
        super().__init__("Overall status")
        self.dot = StatusDot()
        self.header.insertWidget(0, self.dot)
        self.status = ui.label("—", name="bigValue")
        self.reason = ui.label("", name="muted", wrap=True)
        self.body.addWidget(self.status)
        self.body.addWidget(self.reason)

    def set_report(self, report: Any) -> None:
        self.dot.set_color(theme.health_color(report.status))
        self.status.setText(str(report.status).capitalize())
        self.reason.setText(report.summary)


class InfoCard(Card):
    """A titled card of "label: value" lines."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(1, 1)
        self.body.addLayout(self.grid)
        self.body.addStretch(1)
        self.values: dict[str, QLabel] = {}

    def set_rows(self, rows: list[tuple[str, str]]) -> None:
        for i, (key, value) in enumerate(rows):
            label = self.values.get(key)
            if label is None:
                label = self.values[key] = QLabel(wordWrap=True)
                self.grid.addWidget(ui.label(key, name="muted"), i, 0)
                self.grid.addWidget(label, i, 1)
            label.setText(redact(value))  # HA's and InfluxDB's error texts may quote a secret


@register_tab
class OverviewTab(BaseTab):
    key = "overview"
    title = "Overview"
    order = 10

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        history = self.runtime.metrics_history
        self.health = HealthCard()
        self.banner = ui.label(name="banner", wrap=True)
        self.banner.hide()
        self.tiles = {k: StatTile(t) for k, t in data.TILES.items()}
        self.events_chart = LiveChart(
            history, [Series("received_per_s", "received/s", 1), Series("events_per_s", "stored/s")]
        )
        self.latency_chart = LiveChart(
            history,
            [Series("latency_p50_ms", "p50", 3), Series("latency_p99_ms", "p99", 2)],
            unit="ms",
            phase_ms=50,
        )
        self.ha = InfoCard("Home Assistant")
        self.storage = InfoCard("Storage")
        self.today: int | None = None
        self.size_bytes: int | None = None
        self.store_error: tuple[str, float] | None = None
        self._loading = False
        self._setup_ui()
        self.every(1000, self.refresh)
        self.every(10_000, self._load_store_facts)
        self.track(ctx.bridge.health_changed, self.health.set_report)

    def _setup_ui(self) -> None:
        grid = QGridLayout(self)
        grid.setSpacing(12)
        for column in range(4):
            grid.setColumnStretch(column, 1)
        grid.addWidget(self.health, 0, 0, 1, 4)
        grid.addWidget(self.banner, 1, 0, 1, 4)
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, 2, i)
        events = Card("Events per second, last 10 minutes")
        events.body.addWidget(self.events_chart)
        latency = Card("Pipeline latency (time fired → stored)")
        latency.body.addWidget(self.latency_chart)
        grid.addWidget(events, 3, 0, 1, 2)
        grid.addWidget(latency, 3, 2, 1, 2)
        grid.addWidget(self.ha, 4, 0, 1, 2)
        grid.addWidget(self.storage, 4, 2, 1, 2)
        grid.setRowStretch(3, 3)
        grid.setRowStretch(4, 2)

    def refresh(self) -> None:
        rt = self.runtime
        self.health.set_report(self.ctx.bridge.last_health or rt.health())
        sample = rt.metrics_history.latest()
        for key, (value, caption) in data.tile_texts(sample, self.today).items():
            self.tiles[key].set(value, caption)
        if self.store_error is not None:
            reason, since = self.store_error
            self.tiles["today"].set(fmt.DASH, f"cannot read the store: {reason} ({fmt.age(since)})")
        self.ha.set_rows(data.ha_rows(rt))
        self.storage.set_rows(data.storage_rows(rt, sample, self.size_bytes))
        self._set_banner(data.active_alerts(rt))
        if self.today is None:
            self._load_store_facts()

    def _set_banner(self, alerts: list[Any]) -> None:
        self.banner.setVisible(bool(alerts))
        if alerts:
            self.banner.setText(data.alert_banner_text(alerts))

    def _load_store_facts(self) -> None:
        """Today's total and the database size: store reads, every 10 s while visible."""
        if self.runtime.store is None or self._loading:
            return
        self._loading = True
        self.ctx.controller.query(self._read_store_facts, self._on_store_facts, self._on_store_error)

    @staticmethod
    async def _read_store_facts(q: Any) -> tuple[int, int]:
        return await q.totals_today(), await q.store_size_bytes()

    def _on_store_facts(self, facts: tuple[int, int]) -> None:
        self._loading = False
        self.store_error = None
        self.today, self.size_bytes = facts

    def _on_store_error(self, err: BaseException) -> None:
        self._loading = False
        if self.store_error is None:
            self.store_error = (str(err), time.time())
