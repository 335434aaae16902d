"""Energy: today at a glance (consumption, cost, carbon against yesterday by the same time), the day's
consumption per slot against the price and carbon curves, the next cheapest and greenest windows per
appliance, the top consumers (metered, or estimated and marked so), and shifting suggestions.
Everything is computed by the energy engine (core/energy); the tab formats its latest snapshot."""

from __future__ import annotations

from datetime import timedelta

import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QTableView, QVBoxLayout, QWidget

from app import fmt, theme
from app.models.rows_model import RowsTableModel
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs import energy_format as text
from app.widgets import ui
from app.widgets.cards import Card, StatTile
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table
from core.energy import SPEC as ENERGY
from core.energy.binning import local_day
from core.energy.consumers import top_consumers
from core.energy.model import EnergySnapshot
from core.energy.views import zone
from core.slots import Slot

REFRESH_MS = 30_000


def _plot(label: str) -> pg.PlotWidget:
    plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.setLabel("left", label)
    plot.getAxis("left").enableAutoSIPrefix(False)  # "0.3 kWh", not "300 (x0.001) kWh"
    plot.setMinimumHeight(140)
    return plot


@register_tab
class EnergyTab(BaseTab):
    key = "energy"
    title = "Energy"
    order = 75

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.snapshot: EnergySnapshot | None = None
        self.status = ui.label(name="muted")
        titles = (("kwh", "From the grid today"), ("home", "Home usage today"), ("cost", "Cost today"),
                  ("carbon", "Carbon today"), ("month", "This month (from the grid)"))  # fmt: skip
        self.tiles = {k: StatTile(t) for k, t in titles}
        self.consumption_plot = _plot("kWh per slot")
        self.price_plot = _plot("price / kWh")
        self.carbon_plot = _plot("g CO2 / kWh")
        for plot in (self.price_plot, self.carbon_plot):
            plot.setXLink(self.consumption_plot)
        self.windows = ui.label(wrap=True)
        self.consumers = RowsTableModel(text.CONSUMER_COLUMNS)
        self.consumers_note = ui.label(name="muted", wrap=True)
        self.suggestions = ui.label(wrap=True)
        self.content = QWidget()
        self.view = StateView(ui.scroll(self.content))
        self._setup_ui()
        self.every(REFRESH_MS, self.refresh)

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        grid = QGridLayout(self.content)
        grid.setSpacing(12)
        for column in range(3):  # equal thirds: the tiles row and the cards share one width
            grid.setColumnStretch(column, 1)
        tiles = QHBoxLayout()
        tiles.setSpacing(12)
        for tile in self.tiles.values():
            tiles.addWidget(tile)
        grid.addLayout(tiles, 0, 0, 1, 3)
        chart = Card("Today per slot: from the grid (home usage as a line), price, carbon")
        for plot in (self.consumption_plot, self.price_plot, self.carbon_plot):
            chart.body.addWidget(plot)
        grid.addWidget(chart, 1, 0, 1, 2)
        windows = Card("Next cheapest and greenest windows")
        windows.body.addWidget(self.windows)
        windows.body.addStretch(1)
        grid.addWidget(windows, 1, 2)
        table = QTableView()
        table.setModel(self.consumers)
        setup_table(table, [c.sample for c in self.consumers.columns])
        table.setMinimumHeight(240)
        consumers = Card("Top consumers")
        consumers.body.addWidget(table)
        consumers.body.addWidget(self.consumers_note)
        grid.addWidget(consumers, 2, 0, 1, 2)
        hints = Card("Recommendations")
        hints.body.addWidget(self.suggestions)
        hints.body.addStretch(1)
        grid.addWidget(hints, 2, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.view.show_empty("No energy analysis yet", "The first analysis runs shortly after start.")

    def refresh(self) -> None:
        engine = self.runtime.engine(ENERGY)
        if engine is None:
            self.view.show_empty("The energy engine is off", "Turn it on in Configuration → energy.")
            return
        if engine.snapshot is not None:
            self.show_snapshot(engine.snapshot)
            return
        self.status.setText("analysing…")
        self.ctx.controller.submit(engine.current(), self.show_snapshot, self._on_error)

    def _on_error(self, err: BaseException) -> None:
        self.status.setText("")
        self.view.show_error("The energy analysis failed", str(err))

    def show_snapshot(self, s: EnergySnapshot) -> None:
        self.snapshot = s
        self.status.setText(text.status(s))
        if not s.meters.found:
            self.view.show_empty(text.NO_METERS_TITLE, text.NO_METERS_DETAIL)
            return
        self.view.show_content()
        g, cur = s.glance, s.currency or ""
        used = text.versus(g.kwh, g.yesterday_kwh, "kWh", 1) + text.since(s)
        self.tiles["kwh"].set(f"{fmt.number(g.kwh, 1)} kWh", used)
        self.tiles["home"].setVisible(bool(s.home_usage))  # only with solar or battery meters
        home = text.versus(g.home_kwh, g.yesterday_home_kwh, "kWh", 1) + "; grid + solar − export ± battery"
        self.tiles["home"].set(f"{fmt.number(g.home_kwh, 1)} kWh", home)
        cost_caption = text.versus(g.cost, g.yesterday_cost, cur, 2) if s.prices else "no electricity prices"
        self.tiles["cost"].set(f"{fmt.number(g.cost, 2)} {cur}".strip(), cost_caption)
        carbon_caption = (
            text.versus(g.carbon_kg, g.yesterday_carbon_kg, "kg", 1)
            if s.carbon_intensity
            else "no grid carbon data"
        )
        self.tiles["carbon"].set(f"{fmt.number(g.carbon_kg, 1)} kg CO2", carbon_caption)
        self.tiles["month"].set(*text.month(g.month, s.currency, zone(s)))
        self._show_chart(s)
        tz = zone(s)
        advice = [text.advice_text(a, tz, s.currency, bool(s.carbon_intensity)) for a in s.advice]
        self.windows.setText("\n\n".join(advice) or "No prices for the coming hours: no window to recommend.")
        consumers, withheld = top_consumers(s)
        self.consumers.set_rows(consumers)
        self.consumers_note.setText(
            f"{withheld} switches without enough evidence for an estimate are not listed." if withheld else ""
        )
        lines = [h.message for h in s.suggestions] + [f"Note: {n}" for n in s.notes]
        self.suggestions.setText("\n\n".join(lines) or "Nothing to suggest yet.")

    def _show_chart(self, s: EnergySnapshot) -> None:
        start, end = local_day(s.computed_at, zone(s))
        pal = theme.palette()
        today = [x for x in s.consumption if x.start >= start]
        self._bars(self.consumption_plot, today, pal.accent, "no whole-home consumption data today")
        home = [x for x in s.home_usage if x.start >= start and x.value is not None]
        if home:  # the home's own use as a line over the grid bars (it differs with solar or a battery)
            xs = [x.start.timestamp() + x.minutes * 30 for x in home]
            self.consumption_plot.plot(xs, [x.value for x in home], pen=pg.mkPen(pal.ok, width=2))
        prices = [p for p in s.prices if start <= p.start < end]
        self._bars(self.price_plot, prices, pal.warn, "no electricity prices")
        carbon = [c for c in s.carbon_intensity if start <= c.start < end]
        self.carbon_plot.clear()
        known = [c for c in carbon if c.value is not None]
        if known:
            xs = [c.start.timestamp() + c.minutes * 30 for c in known]
            self.carbon_plot.plot(xs, [c.value for c in known], pen=pg.mkPen(pal.ok, width=2))
        else:
            self._say(self.carbon_plot, "no grid carbon intensity data")
        self.consumption_plot.setXRange(start.timestamp(), (start + timedelta(days=1)).timestamp(), padding=0)

    def _bars(self, plot: pg.PlotWidget, slots: list[Slot], color: str, empty: str) -> None:
        plot.clear()
        known = [x for x in slots if x.value is not None]
        if not known:
            self._say(plot, empty)
            return
        width = known[0].minutes * 60
        xs = [x.start.timestamp() + width / 2 for x in known]
        plot.addItem(
            pg.BarGraphItem(x=xs, height=[x.value for x in known], width=width * 0.85, brush=color, pen=None)
        )

    def _say(self, plot: pg.PlotWidget, message: str) -> None:
        item = pg.TextItem(message, color=theme.palette().muted, anchor=(0.5, 0.5))
        plot.addItem(item)
        view = plot.getViewBox().viewRange()
        item.setPos(sum(view[0]) / 2, sum(view[1]) / 2)
