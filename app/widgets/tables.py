"""Table set-up shared by the tabs: fixed column widths measured from sample text (never
ResizeToContents, which measures every row on each insert), one stretching column, row selection."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

PADDING = 24


def setup_table(table: QTableView, samples: Sequence[str | None]) -> None:
    """`samples`: one sample text per column sizing it; None marks the column that stretches."""
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    metrics = table.fontMetrics()
    bold = QFont(header.font())
    bold.setBold(True)
    header_metrics = QFontMetrics(bold)
    model = table.model()
    for column, sample in enumerate(samples):
        if sample is None:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
            continue
        title = str(model.headerData(column, Qt.Orientation.Horizontal) or "") if model is not None else ""
        width = max(metrics.horizontalAdvance(sample), header_metrics.horizontalAdvance(title))
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(column, width + PADDING)
