"""The live event stream: a capped ring of stored events, newest on top, appended in bulk.

The bridge already coalesces Topic.EVENTS_STORED to at most ten batches a second; each batch is one
beginInsertRows (plus one beginRemoveRows when the ring overflows), never a repaint per event.
While paused (or while the table is hidden), batches wait, capped too, and go in as one block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from app import fmt
from app.models.rows_model import ROW_ROLE

LIVE_CAP = 5000
Index = QModelIndex | QPersistentModelIndex
AreaName = Callable[[str | None], str]

COLUMNS: list[tuple[str, Callable[[Any, AreaName], str]]] = [
    ("Time", lambda e, _a: fmt.clock(e.time_fired, with_ms=True)),
    ("Entity", lambda e, _a: e.friendly_name or e.entity_id),
    ("Domain", lambda e, _a: e.domain),
    ("Area", lambda e, area: area(e.area_id)),
    ("From", lambda e, _a: fmt.text(e.old_state)),
    ("To", lambda e, _a: fmt.text(e.state) + (f" {e.unit}" if e.unit and e.state is not None else "")),
    ("Source", lambda e, _a: str(e.source)),
]

EVENT_SAMPLES = [
    "00:00:00.000",
    None,
    "binary_sensor",
    "Living Room",
    "unavailable",
    "unavailable W",
    "snapshot",
]


def event_text(event: Any, column: int, area: AreaName = lambda a: a or "") -> str:
    return COLUMNS[column][1](event, area)


class EventTableModel(QAbstractTableModel):
    appended = Signal(int)  # rows added by the last bulk append

    def __init__(self, cap: int = LIVE_CAP, area_name: AreaName | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.cap = cap
        self._items: list[Any] = []  # oldest first; row r shows _items[-1 - r]
        self._pending: list[Any] = []
        self.paused = False  # the user's Pause
        self.held = False  # the view is hidden: keep batches aside, apply them as one block when shown
        self.total_seen = 0
        self.bulk_appends = 0
        self.area_name: AreaName = area_name or (lambda a: a or "")

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def events(self) -> list[Any]:
        """The kept events, newest first (as shown)."""
        return self._items[::-1]

    def event_at(self, row: int) -> Any:
        return self._items[-1 - row]

    def add_batch(self, events: Sequence[Any]) -> None:
        self.total_seen += len(events)
        if self.paused or self.held:
            self._pending.extend(events)
            del self._pending[: max(0, len(self._pending) - self.cap)]
            return
        self._append(events)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._release()

    def set_held(self, held: bool) -> None:
        self.held = held
        self._release()

    def _release(self) -> None:
        if not (self.paused or self.held) and self._pending:
            pending, self._pending = self._pending, []
            self._append(pending)

    def clear(self) -> None:
        self.beginResetModel()
        self._items.clear()
        self._pending.clear()
        self.endResetModel()

    def _append(self, events: Sequence[Any]) -> None:
        new = list(events[-self.cap :])
        if not new:
            return
        self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
        self._items.extend(new)
        self.endInsertRows()
        excess = len(self._items) - self.cap
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), self.cap, self.cap + excess - 1)
            del self._items[:excess]
            self.endRemoveRows()
        self.bulk_appends += 1
        self.appended.emit(len(new))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self._items[-1 - index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](event, self.area_name)
        if role == ROW_ROLE:
            return event
        if role == Qt.ItemDataRole.ToolTipRole:
            return event.entity_id
        return None


class EventFilterProxy(QSortFilterProxyModel):
    """Domain / area filters and a free-text search over entity id, name, states and area."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.domain: str | None = None
        self.area_id: str | None = None
        self.text = ""

    def set_filters(self, domain: str | None = None, area_id: str | None = None, text: str = "") -> None:
        self.beginFilterChange()
        self.domain, self.area_id, self.text = domain or None, area_id or None, text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        event = self.sourceModel().index(source_row, 0, source_parent).data(ROW_ROLE)
        if event is None:
            return False
        if self.domain and event.domain != self.domain:
            return False
        if self.area_id and event.area_id != self.area_id:
            return False
        if not self.text:
            return True
        fields = (event.entity_id, event.friendly_name, event.state, event.old_state)
        hay = " ".join(v for v in fields if v)
        return self.text in hay.lower()
