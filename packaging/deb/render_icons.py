"""Renders resources/icons/app.svg (health placeholder filled green) into hicolor PNG sizes.

    python packaging/deb/render_icons.py OUT_DIR     -> OUT_DIR/<N>x<N>/apps/ha-ingestor.png
                                                        OUT_DIR/scalable/apps/ha-ingestor.svg

Uses Qt's SVG renderer (PySide6 is in the build venv already), on the offscreen platform so it
runs on a build machine without a display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
HEALTHY = "#3fb950"  # the colour the window icon shows when the app is healthy (app/icons.py)
NAME = "ha-ingestor"
SVG = Path(__file__).resolve().parents[2] / "resources" / "icons" / "app.svg"


def render(out: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    svg = SVG.read_text(encoding="utf-8").replace("#HEALTH#", HEALTHY)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {SVG} is not a valid SVG")
    written = []
    scalable = out / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_text(svg, encoding="utf-8")
    written.append(scalable)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        path = out / f"{size}x{size}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for p in render(Path(sys.argv[1])):
        print(p)
