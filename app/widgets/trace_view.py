"""The causality tree of one event: its root cause and everything that cause led to.

Renders core.trace's tree as given (no inference here): each node shows when, what changed, and the
context that links it to its parent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QTreeView, QVBoxLayout, QWidget

from app import fmt
from app.widgets import ui
from app.widgets.state_view import StateView

HEADERS = ["What", "When", "Context"]
MAX_LISTED = 3


def change_text(stored: Any) -> str:
    e = stored.event
    return f"{e.entity_id} {fmt.text(e.old_state)} → {fmt.text(e.state)}"


def node_cells(node: Any) -> list[str]:
    """A TraceNode: what changed under this context, when it started, and the context id."""
    events = node.events
    what = (
        "; ".join(change_text(se) for se in events[:MAX_LISTED]) or "(no stored event: e.g. a service call)"
    )
    if len(events) > MAX_LISTED:
        what += f"  (+{len(events) - MAX_LISTED} more)"
    when = fmt.clock(events[0].event.time_fired, with_ms=True) if events else fmt.DASH
    context = node.context_id[:10] + "…" + (" (truncated)" if node.truncated else "")
    return [what, when, context]


class TraceView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel()
        self.model.setHorizontalHeaderLabels(HEADERS)
        self.tree = QTreeView()
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setModel(self.model)
        self.view = StateView(self.tree)
        self.summary_label = ui.label("", name="muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(ui.label("Causality: root cause and everything it caused", name="cardTitle"))
        layout.addWidget(self.summary_label)
        layout.addWidget(self.view)
        self.show_empty("No event selected", "Select an event to see what caused it and what it caused.")

    def show_empty(self, title: str, detail: str = "") -> None:
        self.model.removeRows(0, self.model.rowCount())
        self.summary_label.setText("")
        self.view.show_empty(title, detail)

    def show_trace(self, trace: Any) -> None:
        """A core.trace.Trace: one line per context, nested by cause."""
        if not trace.found:
            self.show_empty("Nothing linked", "No stored event carries this context or names it as parent.")
            return
        self.show_tree(trace.root, lambda node: node.children, node_cells)
        cut = " (truncated)" if trace.truncated else ""
        self.summary_label.setText(f"{trace.nodes} contexts, {trace.root.event_count} events{cut}")

    def show_loading(self) -> None:
        self.view.show_empty("Tracing…")

    def show_error(self, reason: str) -> None:
        self.view.show_error("Cannot build the causality tree", reason)

    def show_tree(
        self, root: Any, children: Callable[[Any], list[Any]], cells: Callable[[Any], list[str]]
    ) -> None:
        """Fill from any tree: `children(node)` and `cells(node)` say how to read core's nodes."""
        self.model.removeRows(0, self.model.rowCount())
        self._add(self.model.invisibleRootItem(), root, children, cells)
        self.tree.expandAll()
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        for col in range(1, len(HEADERS)):
            header.setSectionResizeMode(col, header.ResizeMode.ResizeToContents)
        self.view.show_content()

    def rows(self) -> list[tuple[int, str]]:
        """(depth, first cell) of every node, depth-first (tests)."""
        out: list[tuple[int, str]] = []

        def walk(item: QStandardItem, depth: int) -> None:
            for r in range(item.rowCount()):
                child = item.child(r, 0)
                out.append((depth, child.text()))
                walk(child, depth + 1)

        walk(self.model.invisibleRootItem(), 0)
        return out

    def _add(self, parent: QStandardItem, node: Any, children: Any, cells: Any) -> None:
        texts = cells(node)
        items = [QStandardItem(text) for text in texts]
        for item, text in zip(items, texts, strict=True):
            item.setEditable(False)
            item.setToolTip(text)
        parent.appendRow(items)
        for child in children(node):
            self._add(items[0], child, children, cells)
