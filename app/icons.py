"""Icons from the SVGs in resources/icons, tinted at run time (the tray shows health by colour)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
HEALTH_PLACEHOLDER = "#HEALTH#"


@cache
def _svg_text(name: str) -> str:
    return (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8")


def tinted_icon(name: str, color: str, sizes: tuple[int, ...] = (16, 22, 32, 64)) -> QIcon:
    renderer = QSvgRenderer(QByteArray(_svg_text(name).replace(HEALTH_PLACEHOLDER, color).encode()))
    icon = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
