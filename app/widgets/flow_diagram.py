"""A data-flow diagram painted from a model: nodes on a grid, arrows between them, each coloured and
labelled from real state. Positions are grid cells, so the drawing scales with the widget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme


@dataclass(frozen=True, slots=True)
class FlowNode:
    key: str
    title: str
    col: float
    row: float
    state: str  # an engine state, or "idle"/"disabled"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowEdge:
    src: str
    dst: str
    label: str
    active: bool  # data is moving
    broken: bool = False  # the source or destination is failing


@dataclass(slots=True)
class FlowModel:
    nodes: list[FlowNode] = field(default_factory=list)
    edges: list[FlowEdge] = field(default_factory=list)

    def node(self, key: str) -> FlowNode:
        return next(n for n in self.nodes if n.key == key)

    def edge(self, src: str, dst: str) -> FlowEdge:
        return next(e for e in self.edges if e.src == src and e.dst == dst)


class FlowDiagram(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FlowModel()
        self.setMinimumSize(640, 320)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_model(self, model: FlowModel) -> None:
        self.model = model
        self.update()

    def _geometry(self) -> tuple[dict[str, QRectF], float]:
        nodes = self.model.nodes
        top = min((n.row for n in nodes), default=0)
        cols = max((n.col for n in nodes), default=0) + 1
        rows = max((n.row for n in nodes), default=0) + 1 - top
        cell_w = self.width() / cols
        cell_h = min(self.height() / rows, cell_w * 0.9)
        y0 = (self.height() - cell_h * rows) / 2
        w, h = cell_w * 0.7, min(cell_h * 0.75, cell_w * 0.8)
        rects = {
            n.key: QRectF((n.col + 0.5) * cell_w - w / 2, y0 + (n.row - top + 0.5) * cell_h - h / 2, w, h)
            for n in nodes
        }
        return rects, min(cell_w, cell_h)

    def paintEvent(self, event: Any) -> None:
        pal = theme.palette()
        rects, unit = self._geometry()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPixelSize(max(10, int(unit * 0.075)))
        p.setFont(font)
        for edge in self.model.edges:
            if edge.src in rects and edge.dst in rects:
                self._paint_edge(p, edge, rects[edge.src], rects[edge.dst], pal)
        for node in self.model.nodes:
            self._paint_node(p, node, rects[node.key], pal)
        p.end()

    def _paint_edge(self, p: QPainter, edge: FlowEdge, a: QRectF, b: QRectF, pal: theme.Palette) -> None:
        color = pal.bad if edge.broken else (pal.accent if edge.active else pal.border)
        start, end = _anchor(a, b.center()), _anchor(b, a.center())
        pen = QPen(QColor(color), 3 if edge.active else 2)
        if not edge.active:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(start, end)
        _arrow_head(p, start, end, QColor(color))
        mid = (start + end) / 2
        p.setPen(QColor(pal.text if edge.active else pal.muted))
        box = QRectF(mid.x() - 60, mid.y() - 24, 120, 20)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, edge.label)

    def _paint_node(self, p: QPainter, node: FlowNode, r: QRectF, pal: theme.Palette) -> None:
        color = QColor(theme.state_color(node.state) if node.state != "idle" else pal.muted)
        path = QPainterPath()
        path.addRoundedRect(r, 10, 10)
        p.fillPath(path, QColor(pal.surface))
        p.setPen(QPen(color, 2))
        p.drawPath(path)
        p.fillRect(QRectF(r.left() + 1, r.top() + 8, 5, r.height() - 16), color)
        inner = r.adjusted(14, 8, -8, -6)
        bold = QFont(p.font())
        bold.setBold(True)
        p.save()
        p.setFont(bold)
        p.setPen(QColor(pal.text))
        p.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, node.title)
        p.restore()
        metrics = p.fontMetrics()
        line_h = metrics.height()
        y = inner.top() + line_h * 1.4
        for i, line in enumerate((node.state, *node.lines)):
            if y + line_h > inner.bottom() + 1:
                break
            p.setPen(color if i == 0 else QColor(pal.muted))
            text = metrics.elidedText(line, Qt.TextElideMode.ElideMiddle, int(inner.width()))
            p.drawText(QRectF(inner.left(), y, inner.width(), line_h), int(Qt.AlignmentFlag.AlignLeft), text)
            y += line_h


def _anchor(r: QRectF, toward: QPointF) -> QPointF:
    """Where the line from the centre of `r` toward a point leaves the rectangle."""
    c = r.center()
    dx, dy = toward.x() - c.x(), toward.y() - c.y()
    if dx == 0 and dy == 0:
        return c
    sx = (r.width() / 2) / abs(dx) if dx else float("inf")
    sy = (r.height() / 2) / abs(dy) if dy else float("inf")
    s = min(sx, sy)
    return QPointF(c.x() + dx * s, c.y() + dy * s)


def _arrow_head(p: QPainter, start: QPointF, end: QPointF, color: QColor) -> None:
    d = end - start
    length = max(1e-6, (d.x() ** 2 + d.y() ** 2) ** 0.5)
    ux, uy = d.x() / length, d.y() / length
    size = 9
    left = QPointF(end.x() - ux * size - uy * size * 0.6, end.y() - uy * size + ux * size * 0.6)
    right = QPointF(end.x() - ux * size + uy * size * 0.6, end.y() - uy * size - ux * size * 0.6)
    p.save()  # the brush must not leak into the nodes drawn after the edges (they would fill with it)
    p.setBrush(color)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawPolygon(QPolygonF([end, left, right]))
    p.restore()
