"""A heatmap painted from a matrix of real counts (rows x columns); zero stays the background colour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app import theme

LABEL_W = 130
AXIS_H = 22


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


class Heatmap(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[str] = []
        self.columns: list[str] = []
        self.values: list[list[int]] = []
        self.setMouseTracking(True)
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_data(self, rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[int]]) -> None:
        self.rows, self.columns, self.values = list(rows), list(columns), [list(v) for v in values]
        self.update()

    def _cell(self) -> tuple[float, float]:
        cols, rows = max(1, len(self.columns)), max(1, len(self.rows))
        return (self.width() - LABEL_W) / cols, (self.height() - AXIS_H) / rows

    def paintEvent(self, event: Any) -> None:
        pal = theme.palette()
        p = QPainter(self)
        cw, ch = self._cell()
        peak = max((max(r) for r in self.values if r), default=0)
        low, high = QColor(pal.surface_alt), QColor(pal.accent)
        for r, (name, row) in enumerate(zip(self.rows, self.values, strict=True)):
            y = r * ch
            p.setPen(QColor(pal.muted))
            p.drawText(
                QRectF(0, y, LABEL_W - 8, ch),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            for c, value in enumerate(row):
                color = _mix(low, high, value / peak) if peak and value else low
                p.fillRect(QRectF(LABEL_W + c * cw + 0.5, y + 0.5, cw - 1, ch - 1), color)
        step = max(1, round(len(self.columns) / max(1, (self.width() - LABEL_W) / 56)))
        p.setPen(QColor(pal.muted))
        for c in range(0, len(self.columns), step):
            box = QRectF(LABEL_W + c * cw, self.height() - AXIS_H, cw * step, AXIS_H)
            p.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.columns[c])
        p.end()

    def mouseMoveEvent(self, event: Any) -> None:
        cw, ch = self._cell()
        pos = event.position()
        c, r = int((pos.x() - LABEL_W) // cw) if cw else -1, int(pos.y() // ch) if ch else -1
        if pos.x() >= LABEL_W and 0 <= r < len(self.rows) and 0 <= c < len(self.columns):
            text = f"{self.rows[r]} · {self.columns[c]}: {self.values[r][c]:,} events"
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
