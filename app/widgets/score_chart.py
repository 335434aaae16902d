"""Score over time for one game, from the stored change-only timeline (step lines, one per side)."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app import theme


class ScoreChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=True, alpha=0.15)
        item.addLegend(offset=(8, 4))
        self._home = item.plot([], [], name="home", stepMode="left")
        self._away = item.plot([], [], name="away", stepMode="left")
        self._empty = pg.TextItem("", anchor=(0.5, 0.5))
        item.addItem(self._empty, ignoreBounds=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.points = 0
        self._apply_palette()
        mgr = theme.manager()
        if mgr is not None:
            mgr.changed.connect(self._apply_palette)

    def show_series(
        self, labels: tuple[str, str], xs: list[float], home: list[float], away: list[float]
    ) -> None:
        """Step lines; an x list one longer than the values (pyqtgraph's stepMode)."""
        self.points = len(home)
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
            legend.addItem(self._home, labels[0])
            legend.addItem(self._away, labels[1])
        self.plot.getPlotItem().enableAutoRange()  # show_message pinned the ranges
        self._home.setData(xs, home, stepMode="left")
        self._away.setData(xs, away, stepMode="left")
        self._empty.setVisible(not home)

    def show_message(self, text: str) -> None:
        self.points = 0
        self._home.setData([], [])
        self._away.setData([], [])
        self._empty.setText(text)
        self._empty.setPos(0.5, 0.5)
        self.plot.setXRange(0, 1)
        self.plot.setYRange(0, 1)
        self._empty.setVisible(True)

    def _apply_palette(self, *_: Any) -> None:
        pal = theme.palette()
        theme.style_plot(self.plot, pal)
        self._home.setPen(pg.mkPen(pal.series[0], width=2))
        self._away.setPen(pg.mkPen(pal.series[1 % len(pal.series)], width=2))
        self._empty.setColor(pal.muted)
