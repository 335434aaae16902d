"""A combo box of filter choices with an "all" entry; the current value is None for "all"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QWidget


class FilterCombo(QComboBox):
    def __init__(self, all_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.all_text = all_text
        self.addItem(all_text, None)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def set_choices(self, choices: Sequence[tuple[str, str] | str]) -> None:
        """Replace the choices (label, value) or plain strings, keeping the current value if still there."""
        items = [(c, c) if isinstance(c, str) else c for c in choices]
        current = self.value
        if [(self.itemText(i), self.itemData(i)) for i in range(1, self.count())] == items:
            return
        self.blockSignals(True)
        self.clear()
        self.addItem(self.all_text, None)
        for label, value in items:
            self.addItem(label, value)
        index = self.findData(current) if current is not None else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)
        if self.value != current:
            self.currentIndexChanged.emit(self.currentIndex())

    @property
    def value(self) -> str | None:
        data = self.currentData()
        return None if data is None else str(data)

    def set_value(self, value: str | None) -> None:
        index = self.findData(value) if value is not None else 0
        self.setCurrentIndex(max(0, index))
