"""Horizontal bars with labels and values (e.g. events per domain), painted to scale."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme

LABEL_W = 130
VALUE_W = 80


class BarList(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[tuple[str, float]] = []
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_items(self, items: Sequence[tuple[str, float]]) -> None:
        self.items = list(items)
        self.update()

    def paintEvent(self, event: Any) -> None:
        if not self.items:
            return
        pal = theme.palette()
        p = QPainter(self)
        row_h = min(26.0, self.height() / len(self.items))
        peak = max(v for _, v in self.items) or 1.0
        bar_w = max(10.0, self.width() - LABEL_W - VALUE_W)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, (label, value) in enumerate(self.items):
            y = i * row_h
            p.setPen(QColor(pal.muted))
            p.drawText(QRectF(0, y, LABEL_W - 8, row_h), right, label)
            color = QColor(pal.series[i % len(pal.series)])
            p.fillRect(QRectF(LABEL_W, y + row_h * 0.2, bar_w * value / peak, row_h * 0.6), color)
            p.setPen(QColor(pal.text))
            p.drawText(QRectF(self.width() - VALUE_W, y, VALUE_W - 4, row_h), right, f"{value:,.0f}")
        p.end()
