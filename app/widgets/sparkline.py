"""Sparklines: a tiny line of real values (gaps stay gaps), painted in a table cell by a delegate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app import theme
from app.models.rows_model import SPARK_ROLE


def paint_sparkline(p: QPainter, rect: QRectF, values: Sequence[float | None], color: str) -> None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 2 or not finite:
        return
    lo, hi = min(finite), max(finite)
    span = hi - lo or 1.0
    step = rect.width() / (len(values) - 1)
    path = QPainterPath()
    pen_down = False
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            pen_down = False
            continue
        y = rect.bottom() - (v - lo) / span * rect.height() if hi > lo else rect.center().y()
        point = QPointF(rect.left() + i * step, y)
        if pen_down:
            path.lineTo(point)
        else:
            path.moveTo(point)
            pen_down = True
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(color), 1.6))
    p.drawPath(path)
    p.restore()


class SparklineDelegate(QStyledItemDelegate):
    def paint(
        self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        values = index.data(SPARK_ROLE)
        if not values:
            super().paint(p, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            p.fillRect(option.rect, option.palette.highlight())
        rect = QRectF(option.rect).adjusted(6, 6, -6, -6)
        paint_sparkline(p, rect, values, theme.palette().accent)

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        return QSize(140, 28)
