"""A live pyqtgraph chart fed from a core ring buffer (runtime.metrics_history).

A QTimer polls at most 10 times a second and calls setData only when the ring's `version` changed;
the timer runs only while the chart is visible (hidden tabs stop it). A missing sample is a gap.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app import theme
from app.widgets import ui

REFRESH_MS = 100
PEN_W = 2


class History(Protocol):
    version: int

    def column(self, name: str, since: float = 0.0) -> tuple[list[float], list[float | None]]: ...


@dataclass(frozen=True, slots=True)
class Series:
    column: str
    label: str
    color: int = 0  # index into the palette's series colours


class LiveChart(QWidget):
    def __init__(
        self,
        history: History,
        series: list[Series],
        window_s: float = 600,
        unit: str = "",
        parent: QWidget | None = None,
        phase_ms: int = 0,
    ) -> None:
        super().__init__(parent)
        self._history = history
        self._series = series
        self._window = window_s
        self._seen_version = -1
        self._phase_ms = phase_ms  # offsets this chart's ticks so two charts never paint in one go
        self.force_repaint = False  # bench: repaint every tick to measure the achievable rate
        self.ticks = 0
        self.repaints = 0
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        if unit:
            self.plot.setLabel("left", units=unit)
        item = self.plot.getPlotItem()
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        item.showGrid(x=False, y=True, alpha=0.15)
        if len(series) > 1:
            item.addLegend(offset=(8, 4))
        self._curves = [item.plot([], [], name=s.label, connect="finite") for s in series]
        self._empty = pg.TextItem("waiting for the first sample", anchor=(0.5, 0.5))
        item.addItem(self._empty, ignoreBounds=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._timer = ui.timer(self, REFRESH_MS, self.refresh)
        self._apply_palette()
        mgr = theme.manager()
        if mgr is not None:
            mgr.changed.connect(self._apply_palette)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._seen_version = -1
        self.refresh()
        QTimer.singleShot(self._phase_ms, self, self._start_ticking)

    def _start_ticking(self) -> None:
        if self.isVisible():
            self._timer.start()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def refresh(self) -> None:
        self.ticks += 1
        version = self._history.version
        if version == self._seen_version and not self.force_repaint:
            return
        self._seen_version = version
        now = time.time()
        since = now - self._window
        has_points = False
        for curve, spec in zip(self._curves, self._series, strict=True):
            xs, ys = self._history.column(spec.column, since)
            curve.setData(xs, [math.nan if y is None else float(y) for y in ys], connect="finite")
            has_points = has_points or any(y is not None for y in ys)
        first = self._first_t()
        # Before the first sample the runtime was not running: that span is not a gap, leave it out.
        self.plot.setXRange(max(since, first - 5) if first is not None else since, now, padding=0)
        self._empty.setVisible(not has_points)
        if not has_points:
            self._empty.setPos(since + self._window / 2, 0.5)
        self.repaints += 1

    def _first_t(self) -> float | None:
        xs, _ = self._history.column(self._series[0].column, 0.0)
        return xs[0] if xs else None

    def _apply_palette(self, *_: Any) -> None:
        pal = theme.palette()
        theme.style_plot(self.plot, pal)
        for curve, spec in zip(self._curves, self._series, strict=True):
            color = pal.series[spec.color % len(pal.series)]
            curve.setPen(pg.mkPen(color, width=PEN_W))
        self._empty.setColor(pal.muted)
