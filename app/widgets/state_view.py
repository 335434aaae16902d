"""A content area with honest empty and error states: what is missing, or what failed, why, and since when."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from app import fmt
from app.widgets import ui
from core.logs import redact


class _Message(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = ui.label(name="stateTitle", align=Qt.AlignmentFlag.AlignCenter)
        self.detail = ui.label(name="stateDetail", align=Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addStretch(1)


class StateView(QStackedWidget):
    """Shows `content`, or a centred message explaining why there is nothing to show."""

    CONTENT, EMPTY, ERROR = 0, 1, 2

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content = content
        self._empty = _Message()
        self._error = _Message()
        self._error.title.setObjectName("errorText")
        for page in (content, self._empty, self._error):
            self.addWidget(page)
        self._error_since: float | None = None
        self._error_reason = ""
        self._ticker = ui.timer(self, 1000, self._refresh_error_age)

    @property
    def state(self) -> int:
        return self.currentIndex()

    @property
    def message(self) -> str:
        page = {self.EMPTY: self._empty, self.ERROR: self._error}.get(self.currentIndex())
        return "" if page is None else f"{page.title.text()} {page.detail.text()}".strip()

    def show_content(self) -> None:
        self._ticker.stop()
        self._error_since = None
        self.setCurrentIndex(self.CONTENT)

    def show_empty(self, title: str, detail: str = "") -> None:
        self._ticker.stop()
        self._error_since = None
        self._empty.title.setText(title)
        self._empty.detail.setText(redact(detail))
        self.setCurrentIndex(self.EMPTY)

    def show_error(self, title: str, reason: str, since: float | None = None) -> None:
        """An error with its reason; the age counts from `since` (or from the first report)."""
        if self._error_since is None or reason != self._error_reason:
            self._error_since = since or time.time()
        self._error_reason = reason = redact(reason)
        self._error.title.setText(title)
        self._refresh_error_age()
        self.setCurrentIndex(self.ERROR)
        self._ticker.start()

    def _refresh_error_age(self) -> None:
        self._error.detail.setText(f"{self._error_reason}\n(since {fmt.age(self._error_since)})")
