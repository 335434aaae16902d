"""A touch PIN pad shown over the window (no modal dialog, no nested event loop)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.widgets import ui


class PinPad(QFrame):
    submitted = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setFixedSize(300, 420)
        self.entry = QLineEdit(echoMode=QLineEdit.EchoMode.Password, alignment=Qt.AlignmentFlag.AlignCenter)
        self.entry.returnPressed.connect(self._submit)
        self.message = ui.label("Enter the PIN to leave kiosk mode", wrap=True, name="muted")
        grid = QGridLayout()
        keys = [*"123456789", "⌫", "0", "OK"]
        for i, key in enumerate(keys):
            button = QPushButton(key)
            button.setMinimumSize(64, 56)
            button.clicked.connect(lambda _=False, k=key: self._press(k))
            grid.addWidget(button, i // 3, i % 3)
        cancel = QPushButton("Cancel")
        cancel.setMinimumHeight(48)
        cancel.clicked.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.entry)
        layout.addLayout(grid)
        layout.addWidget(cancel)
        self.hide()

    def ask(self) -> None:
        self.entry.clear()
        self.message.setText("Enter the PIN to leave kiosk mode")
        parent = self.parentWidget()
        assert parent is not None
        self.move((parent.width() - self.width()) // 2, (parent.height() - self.height()) // 2)
        self.show()
        self.raise_()
        self.entry.setFocus()

    def reject(self, reason: str) -> None:
        self.entry.clear()
        self.message.setText(reason)

    def _press(self, key: str) -> None:
        if key == "OK":
            self._submit()
        elif key == "⌫":
            self.entry.backspace()
        else:
            self.entry.insert(key)

    def _submit(self) -> None:
        self.submitted.emit(self.entry.text())
