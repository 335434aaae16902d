"""A chart of time slots (prices, carbon, temperature, air quality): bars as wide as their slot,
an optional line over them, a "now" marker, hour ticks, and a plain sentence instead of a chart
when there is no data. Painted directly (no plotting library) with large text for the kiosk."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme
from core.slots import Slot

LEFT, RIGHT, TOP, BOTTOM = 64.0, 56.0, 34.0, 30.0


SMALL_UNITS = {"EUR/kWh": "ct/kWh", "GBP/kWh": "p/kWh", "DKK/kWh": "øre/kWh", "SEK/kWh": "öre/kWh",
               "NOK/kWh": "øre/kWh"}  # fmt: skip


def shown_unit(unit: str) -> str:
    """Prices read in the currency's hundredths (9.23 ct/kWh, not 0.0923 EUR/kWh)."""
    return SMALL_UNITS.get(unit, unit)


def level_color(level: float) -> QColor:
    """0 = green (cheap, clean, good) .. 0.5 = amber .. 1 = red; NaN = grey (unknown)."""
    pal = theme.palette()
    if math.isnan(level):
        return QColor(pal.muted)
    ok, warn, bad = QColor(pal.ok), QColor(pal.warn), QColor(pal.bad)
    a, b, t = (ok, warn, level * 2) if level <= 0.5 else (warn, bad, (level - 0.5) * 2)
    return QColor(
        int(a.red() + (b.red() - a.red()) * t),
        int(a.green() + (b.green() - a.green()) * t),
        int(a.blue() + (b.blue() - a.blue()) * t),
    )


class SlotChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.unit = ""
        self.bar_unit = ""
        self.bars: tuple[Slot, ...] = ()
        self.bar_levels: tuple[float, ...] = ()
        self.line: tuple[Slot, ...] = ()
        self.line_levels: tuple[float, ...] = ()
        self.empty_reason = "No data"
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, data: Any) -> None:
        """`data` is an app.tabs.data_sources_data.ChartData (its start/end are the time axis)."""
        self.title, self.unit, self.bar_unit = data.title, data.unit, data.bar_unit
        self.bars, self.bar_levels = data.bars, data.bar_levels
        self.line, self.line_levels = data.line, data.line_levels
        self.empty_reason = data.empty_reason
        self.start, self.end = data.start, data.end
        self.update()

    @property
    def has_data(self) -> bool:
        return bool(self.bars or self.line)

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: Any) -> None:
        pal = theme.palette()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        if font.pixelSize() > 0:  # the style sheet sizes fonts in pixels
            font.setPixelSize(round(font.pixelSize() * 1.25))
        else:
            font.setPointSizeF(font.pointSizeF() * 1.25)
        p.setFont(font)
        p.setPen(QColor(pal.text))
        p.drawText(QRectF(8, 4, self.width() - 16, TOP - 6), Qt.AlignmentFlag.AlignLeft, self._title())
        if not self.has_data or self.start is None or self.end is None:
            p.setPen(QColor(pal.muted))
            p.drawText(QRectF(0, TOP, self.width(), self.height() - TOP), Qt.AlignmentFlag.AlignCenter,
                       self.empty_reason or "No data")  # fmt: skip
            p.end()
            return
        plot = QRectF(
            LEFT, TOP, max(10.0, self.width() - LEFT - RIGHT), max(10.0, self.height() - TOP - BOTTOM)
        )
        self._axes(p, plot)
        if self.bars:
            self._paint_bars(p, plot)
        if self.line:
            self._paint_line(p, plot)
        self._now_marker(p, plot)
        p.end()

    def _title(self) -> str:
        units = [shown_unit(u) for u in (self.unit if self.line else self.unit or self.bar_unit,
                                         self.bar_unit if self.line and self.bars else "") if u]  # fmt: skip
        return f"{self.title} ({', '.join(units)})" if units and self.has_data else self.title

    def _x(self, plot: QRectF, moment: datetime) -> float:
        assert self.start is not None and self.end is not None
        span = (self.end - self.start).total_seconds()
        return plot.left() + (moment - self.start).total_seconds() / span * plot.width()

    @staticmethod
    def _range(slots: Sequence[Slot], zero: bool) -> tuple[float, float]:
        values = [s.value for s in slots if s.value is not None]
        if not values:
            return 0.0, 1.0
        lo, hi = min(values), max(values)
        if zero:
            lo = min(lo, 0.0)
        if hi - lo < 1e-9:
            hi = lo + (abs(lo) or 1.0)
        return lo, hi + (hi - lo) * 0.08

    def _axes(self, p: QPainter, plot: QRectF) -> None:
        assert self.start is not None and self.end is not None
        pal = theme.palette()
        p.setPen(QPen(QColor(pal.border), 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        hours = max(1.0, (self.end - self.start).total_seconds() / 3600)
        every = next((n for n in (1, 3, 6, 12, 24) if plot.width() / hours * n >= 80), 24)
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        while hour <= self.end:  # UTC hours; a tick every `every` local hours (DST-safe)
            local = hour.astimezone()
            if hour >= self.start and local.minute == 0 and local.hour % every == 0:
                x = self._x(plot, hour)
                p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
                label = local.strftime("%a" if local.hour == 0 else "%H:%M")
                p.drawText(
                    QRectF(x - 40, plot.bottom() + 4, 80, BOTTOM - 4), Qt.AlignmentFlag.AlignHCenter, label
                )
            hour += timedelta(hours=1)
        primary = self.line or self.bars
        lo, hi = self._range(primary, zero=not self.line)
        unit = self.unit if self.line else self.unit or self.bar_unit
        self._scale_labels(p, plot, lo, hi, unit, left=True)
        if self.line and self.bars:
            blo, bhi = self._range(self.bars, zero=True)
            self._scale_labels(p, plot, blo, bhi, self.bar_unit, left=False)

    def _scale_labels(
        self, p: QPainter, plot: QRectF, lo: float, hi: float, unit: str, *, left: bool
    ) -> None:
        scale = 100.0 if shown_unit(unit) != unit else 1.0  # prices in ct/p per kWh
        align = Qt.AlignmentFlag.AlignRight if left else Qt.AlignmentFlag.AlignLeft
        x = 0.0 if left else plot.right() + 6
        for value, y in ((hi, plot.top()), (lo, plot.bottom())):
            text = f"{value * scale:.1f}" if abs(value * scale) < 100 else f"{value * scale:.0f}"
            p.drawText(
                QRectF(x, y - 10, LEFT - 6 if left else RIGHT - 6, 20),
                align | Qt.AlignmentFlag.AlignVCenter,
                text,
            )

    def _paint_bars(self, p: QPainter, plot: QRectF) -> None:
        pal = theme.palette()
        lo, hi = self._range(self.bars, zero=True)
        zero_y = plot.bottom() - (0.0 - lo) / (hi - lo) * plot.height()
        for i, slot in enumerate(self.bars):
            if slot.value is None:
                continue
            x0, x1 = self._x(plot, slot.start), self._x(plot, slot.end)
            x0, x1 = max(x0, plot.left()), min(x1, plot.right())
            if x1 <= x0:
                continue
            y = plot.bottom() - (slot.value - lo) / (hi - lo) * plot.height()
            level = self.bar_levels[i] if i < len(self.bar_levels) else math.nan
            color = level_color(level) if self.bar_levels else QColor(pal.accent)
            if self.line:
                color.setAlpha(150)
            p.fillRect(QRectF(x0, min(y, zero_y), max(1.0, x1 - x0 - 0.5), abs(zero_y - y)), color)

    def _paint_line(self, p: QPainter, plot: QRectF) -> None:
        pal = theme.palette()
        lo, hi = self._range(self.line, zero=False)
        path, pen_down = QPainterPath(), False
        points: list[tuple[QPointF, float]] = []
        for i, slot in enumerate(self.line):
            if (
                slot.value is None
                or slot.end <= (self.start or slot.end)
                or slot.start >= (self.end or slot.start)
            ):
                pen_down = False
                continue
            mid = slot.start + (slot.end - slot.start) / 2
            pt = QPointF(self._x(plot, mid), plot.bottom() - (slot.value - lo) / (hi - lo) * plot.height())
            path.lineTo(pt) if pen_down else path.moveTo(pt)
            pen_down = True
            points.append((pt, self.line_levels[i] if i < len(self.line_levels) else math.nan))
        p.setPen(QPen(QColor(pal.accent if not self.bars else pal.text), 2.5))
        p.drawPath(path)
        if self.line_levels:
            for pt, level in points:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(level_color(level))
                p.drawEllipse(pt, 4.0, 4.0)

    def _now_marker(self, p: QPainter, plot: QRectF) -> None:
        now = datetime.now(UTC)
        if self.start is None or self.end is None or not (self.start <= now <= self.end):
            return
        x = self._x(plot, now)
        pal = theme.palette()
        p.setPen(QPen(QColor(pal.text), 2, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        p.drawText(QRectF(x + 4, plot.top(), 60, 20), Qt.AlignmentFlag.AlignLeft, "now")
