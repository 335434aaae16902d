"""Small typed constructors for the widgets every tab builds (PySide6's property keyword arguments
work at run time but are not in its type stubs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QPushButton, QScrollArea, QSplitter, QWidget

# A word-wrapped QLabel asks for a width that grows with its text (Qt keeps it roughly golden-ratio
# shaped), so a long wrapped text widened whole tabs past the window. Wrapped labels take the width
# their layout gives them, at least this much.
WRAP_MIN_WIDTH = 160


def label(
    text: str = "", name: str = "", *, wrap: bool = False, align: Qt.AlignmentFlag | None = None
) -> QLabel:
    """A label; `name` is the style-sheet object name (muted, bigValue, cardTitle, errorText…)."""
    widget = QLabel(text)
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    if wrap:
        widget.setMinimumWidth(WRAP_MIN_WIDTH)
    if align is not None:
        widget.setAlignment(align)
    return widget


def button(text: str, name: str = "", *, checkable: bool = False, checked: bool = False) -> QPushButton:
    widget = QPushButton(text)
    if name:
        widget.setObjectName(name)
    if checkable:
        widget.setCheckable(True)
        widget.setChecked(checked)
    return widget


def timer(parent: QObject, ms: int, slot: Callable[[], Any], *, single_shot: bool = False) -> QTimer:
    """A QTimer owned by `parent`, not started."""
    widget = QTimer(parent)
    widget.setInterval(ms)
    widget.setSingleShot(single_shot)
    widget.timeout.connect(slot)
    return widget


class MessageLabel(QLabel):
    """A one-line outcome ("applied…", "failed: …"): hidden while empty, red when it is an error."""

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self._name = name
        self.setObjectName(name)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str, error: bool = False) -> None:
        name = "errorText" if error else self._name
        if name != self.objectName():
            self.setObjectName(name)
            self.style().polish(self)
        self.setText(text)
        self.setVisible(bool(text))


def stacked(top: QWidget, bottom: QWidget, sizes: tuple[int, int]) -> QSplitter:
    """A vertical splitter: a list on top, its detail below (Logs and Alerts tabs)."""
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(top)
    split.addWidget(bottom)
    split.setSizes(list(sizes))
    return split


def scroll(inner: QWidget) -> QScrollArea:
    """A scroll area that resizes `inner` to its width (scroll bars only where it cannot fit)."""
    area = QScrollArea(widgetResizable=True)
    area.setWidget(inner)
    return area
