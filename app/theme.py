"""Dark (default) and light themes: one palette per theme, one generated style sheet, sizes that scale.

The base pixel size follows the window size (`scale_for`) so a wall tablet and a laptop both read well;
custom-painted widgets (charts, the flow diagram, the heatmap) read colours from `palette()` and
repaint on `ThemeManager.changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BASE_PX = 13
KIOSK_TOUCH_PX = 48


@dataclass(frozen=True, slots=True)
class Palette:
    name: str
    bg: str
    surface: str
    surface_alt: str
    border: str
    text: str
    muted: str
    accent: str
    ok: str
    warn: str
    bad: str
    series: tuple[str, ...]


DARK = Palette(
    name="dark",
    bg="#14171c",
    surface="#1d2128",
    surface_alt="#262b33",
    border="#343a46",
    text="#e6e9ef",
    muted="#98a1b0",
    accent="#4da3ff",
    ok="#3fb950",
    warn="#d29922",
    bad="#f85149",
    series=("#4da3ff", "#3fb950", "#d29922", "#bc8cff", "#f778ba", "#39c5cf", "#f85149", "#a5d6ff"),
)
LIGHT = Palette(
    name="light",
    bg="#f3f4f6",
    surface="#ffffff",
    surface_alt="#eceef2",
    border="#cfd5de",
    text="#1c2128",
    muted="#57606a",
    accent="#0969da",
    ok="#1a7f37",
    warn="#9a6700",
    bad="#cf222e",
    series=("#0969da", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#1b7c83", "#cf222e", "#54aeff"),
)
THEMES = {"dark": DARK, "light": LIGHT}

_manager: ThemeManager | None = None


def palette() -> Palette:
    """The palette in use (dark before any manager exists)."""
    return _manager.current if _manager is not None else DARK


def manager() -> ThemeManager | None:
    return _manager


def health_color(status: str | None) -> str:
    pal = palette()
    return {"healthy": pal.ok, "degraded": pal.warn, "unhealthy": pal.bad}.get(str(status or ""), pal.muted)


def state_color(state: str | None) -> str:
    """Colour of an engine state (running, degraded, failed, disabled, stopped, starting)."""
    pal = palette()
    return {
        "running": pal.ok,
        "degraded": pal.warn,
        "starting": pal.warn,
        "failed": pal.bad,
    }.get(str(state or ""), pal.muted)


def scale_for(width: int, height: int) -> float:
    """Scale factor for a window of this size: 1.0 at 1280x800, clamped to a readable range."""
    return max(0.85, min(1.8, min(width / 1280, height / 800)))


class ThemeManager(QObject):
    changed = Signal(object)  # Palette

    def __init__(self, app: QApplication, name: str = "dark") -> None:
        super().__init__(app)
        global _manager
        self._app = app
        self.current = THEMES.get(name, DARK)
        self.base_px = BASE_PX
        self.kiosk = False
        _manager = self
        self.apply()

    def set_theme(self, name: str) -> None:
        if name != self.current.name:
            self.current = THEMES.get(name, DARK)
            self.apply()

    def set_scale(self, scale: float) -> None:
        px = max(11, round(BASE_PX * scale))
        if px != self.base_px:
            self.base_px = px
            self.apply()

    def set_kiosk(self, on: bool) -> None:
        if on != self.kiosk:
            self.kiosk = on
            self.apply()

    def apply(self) -> None:
        pal = self.current
        self._app.setPalette(qt_palette(pal))
        font = QFont(self._app.font())
        font.setPixelSize(self.base_px)
        self._app.setFont(font)
        self._app.setStyleSheet(style_sheet(pal, self.base_px, self.kiosk))
        pg.setConfigOptions(
            background=pal.surface, foreground=pal.muted, antialias=False
        )  # AA lines: ~30x slower
        self.changed.emit(pal)


def style_plot(plot: pg.PlotWidget, pal: Palette) -> None:
    """A chart's background and axes in the palette; its curves are its own to recolour."""
    plot.setBackground(pal.surface)
    for axis in ("left", "bottom"):
        ax = plot.getAxis(axis)
        ax.setPen(pg.mkPen(pal.border))
        ax.setTextPen(pg.mkPen(pal.muted))


def qt_palette(pal: Palette) -> QPalette:
    qp = QPalette()
    roles = {
        QPalette.ColorRole.Window: pal.bg,
        QPalette.ColorRole.WindowText: pal.text,
        QPalette.ColorRole.Base: pal.surface,
        QPalette.ColorRole.AlternateBase: pal.surface_alt,
        QPalette.ColorRole.Text: pal.text,
        QPalette.ColorRole.Button: pal.surface_alt,
        QPalette.ColorRole.ButtonText: pal.text,
        QPalette.ColorRole.Highlight: pal.accent,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: pal.surface_alt,
        QPalette.ColorRole.ToolTipText: pal.text,
        QPalette.ColorRole.PlaceholderText: pal.muted,
        QPalette.ColorRole.Link: pal.accent,
    }
    for role, color in roles.items():
        qp.setColor(role, QColor(color))
    return qp


def style_sheet(pal: Palette, px: int, kiosk: bool = False) -> str:
    """The application style sheet; `px` is the base font size in pixels."""
    pad = max(4, px // 2)
    touch = f"min-height: {KIOSK_TOUCH_PX}px; min-width: {KIOSK_TOUCH_PX}px;" if kiosk else ""
    tab_h = KIOSK_TOUCH_PX if kiosk else px * 2 + 4
    return f"""
QWidget {{ color: {pal.text}; }}
QMainWindow, QDialog {{ background: {pal.bg}; }}
QTabWidget::pane {{ border: 0; background: {pal.bg}; }}
QTabBar::tab {{ background: {pal.bg}; color: {pal.muted}; padding: {pad}px {px + 2}px; min-height: {tab_h}px;
  border: 0; border-bottom: 2px solid transparent; font-size: {px}px; }}
QTabBar::tab:selected {{ color: {pal.text}; border-bottom: 2px solid {pal.accent}; }}
QTabBar::tab:hover {{ color: {pal.text}; }}
QFrame#card {{ background: {pal.surface}; border: 1px solid {pal.border}; border-radius: 8px; }}
QLabel#cardTitle {{ color: {pal.muted}; font-size: {px - 1}px; font-weight: 600; text-transform: uppercase; }}
QLabel#bigValue {{ font-size: {round(px * 2.0)}px; font-weight: 600; }}
QLabel#muted, QLabel#stateDetail {{ color: {pal.muted}; }}
QLabel#stateTitle {{ font-size: {round(px * 1.3)}px; font-weight: 600; }}
QLabel#errorText {{ color: {pal.bad}; }}
QLabel#banner {{ background: {pal.bad}; color: #ffffff; padding: {pad}px; border-radius: 6px;
  font-weight: 600; }}
QLabel#bannerWarn {{ background: {pal.warn}; color: #ffffff; padding: {pad}px; border-radius: 6px;
  font-weight: 600; }}
QPushButton {{ background: {pal.surface_alt}; border: 1px solid {pal.border}; border-radius: 6px;
  padding: {pad - 1}px {px}px; {touch} }}
QPushButton:hover {{ border-color: {pal.accent}; }}
QPushButton:pressed {{ background: {pal.border}; }}
QPushButton:disabled {{ color: {pal.muted}; }}
QPushButton:checked {{ background: {pal.accent}; color: #ffffff; border-color: {pal.accent}; }}
QPushButton#primary {{ background: {pal.accent}; color: #ffffff; border-color: {pal.accent}; }}
QLineEdit, QComboBox, QSpinBox, QDoubleSpinBox, QDateTimeEdit, QPlainTextEdit {{ background: {pal.surface};
  border: 1px solid {pal.border}; border-radius: 6px; padding: {pad - 2}px {pad}px; {touch} }}
QLineEdit:focus, QComboBox:focus {{ border-color: {pal.accent}; }}
QLineEdit[invalid="true"] {{ border-color: {pal.bad}; }}
QTableView, QTreeView, QListView {{ background: {pal.surface}; alternate-background-color: {pal.surface_alt};
  border: 1px solid {pal.border}; border-radius: 6px; gridline-color: {pal.border};
  selection-background-color: {pal.accent}; }}
QHeaderView::section {{ background: {pal.surface_alt}; color: {pal.muted}; border: 0;
  border-bottom: 1px solid {pal.border}; padding: {pad - 1}px {pad}px; font-weight: 600; }}
QCheckBox {{ spacing: {pad}px; {"min-height: 48px;" if kiosk else ""} }}
QStatusBar {{ background: {pal.surface}; color: {pal.muted}; border-top: 1px solid {pal.border}; }}
QScrollArea {{ border: 0; background: transparent; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QToolTip {{ background: {pal.surface_alt}; color: {pal.text}; border: 1px solid {pal.border}; }}
QGroupBox {{ border: 1px solid {pal.border}; border-radius: 8px; margin-top: {px}px; padding-top: {px}px;
  background: {pal.surface}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: {pad}px; padding: 0 {pad}px; color: {pal.muted};
  font-weight: 600; }}
"""
