"""Cards: a titled panel, a big-number tile, and a coloured status dot."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from app.widgets import ui


class Card(QFrame):
    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(6)
        self.header = QHBoxLayout()
        self.title = ui.label(title, name="cardTitle")
        self.header.addWidget(self.title)
        self.header.addStretch(1)
        self.body.addLayout(self.header)


class StatTile(Card):
    """A title, one big value and a muted caption line."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.value = ui.label("—", name="bigValue")
        self.caption = ui.label("", name="muted")
        self.caption.setWordWrap(True)
        self.body.addWidget(self.value)
        self.body.addWidget(self.caption)
        self.body.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, value: str, caption: str = "") -> None:
        self.value.setText(value)
        self.caption.setText(caption)


class StatusDot(QWidget):
    def __init__(self, color: str = "#888888", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._color = QColor(color)
        self.setFixedSize(QSize(12, 12))

    def set_color(self, color: str) -> None:
        if QColor(color) != self._color:
            self._color = QColor(color)
            self.update()

    def paintEvent(self, event: object) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        side = min(self.width(), self.height())
        p.drawEllipse(0, 0, side, side)
        p.end()
