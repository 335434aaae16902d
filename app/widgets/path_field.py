"""A path entry with a Browse… button whose file dialog is non-modal.

The dialog is shown with open() and answers through fileSelected: a static getOpenFileName or exec()
would run a nested Qt event loop inside the qasync loop, which can lose asyncio tasks
(docs/stack-notes.md §3).
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

PEM_FILTER = "PEM certificates (*.pem *.crt *.cer);;All files (*)"


class PathField(QWidget):
    """`edit` holds the path; `browse_button` opens `file_dialog` (made on first use)."""

    def __init__(
        self, edit: QLineEdit, title: str, *, directory: bool = False, name_filter: str = ""
    ) -> None:
        super().__init__()
        self.edit = edit
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip(f"Choose the {title.lower()}")
        self.file_dialog: QFileDialog | None = None
        self._title = title
        self._directory = directory
        self._filter = name_filter
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        row.addWidget(self.browse_button)
        self.browse_button.clicked.connect(self.browse)

    def browse(self) -> None:
        if self.file_dialog is None:
            self.file_dialog = QFileDialog(self, self._title, filter=self._filter)
            mode = QFileDialog.FileMode.Directory if self._directory else QFileDialog.FileMode.ExistingFile
            self.file_dialog.setFileMode(mode)
            self.file_dialog.fileSelected.connect(self.edit.setText)
        current = os.path.expanduser(self.edit.text().strip())
        start = current if self._directory and os.path.isdir(current) else os.path.dirname(current)
        self.file_dialog.setDirectory(start or os.path.expanduser("~"))
        self.file_dialog.open()
