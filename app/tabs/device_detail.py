"""The Devices tab's detail pane: the device, its reliability, and each entity's current state with a
sparkline of its recent values (numeric entities)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QLabel, QTableView, QVBoxLayout, QWidget

from app import fmt
from app.models.rows_model import Column, RowsTableModel
from app.tabs.base import TabContext
from app.widgets import ui
from app.widgets.cards import Card
from app.widgets.sparkline import SparklineDelegate
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table

SPARK_EVENTS = 60
RELIABILITY_HOURS = 24


@dataclass(frozen=True, slots=True)
class EntityRow:
    info: Any  # EntityInfo
    recent: tuple[Any, ...] = ()  # StoredEvent, newest first

    @property
    def last(self) -> Any:
        return self.recent[0] if self.recent else None

    @property
    def spark(self) -> list[float | None]:
        """The numeric values of the recent events, oldest first (empty for non-numeric entities)."""
        values = [se.event.value for se in reversed(self.recent)]
        return values if any(v is not None for v in values) else []


def _state(row: EntityRow) -> str:
    if row.last is None:
        return "no event stored"
    e = row.last.event
    return fmt.text(e.state) + (f" {e.unit}" if e.unit and e.state is not None else "")


ENTITY_COLUMNS = [
    Column(
        "Entity",
        lambda r: r.info.name or r.info.original_name or r.info.entity_id,
        tooltip=lambda r: r.info.entity_id,
        sample=None,
    ),
    Column("Domain", lambda r: r.info.domain, sample="binary_sensor"),
    Column("State", _state, sample="no event stored"),
    Column(
        "Last change", lambda r: fmt.clock(r.last.event.time_fired) if r.last else fmt.DASH, sample="00:00:00"
    ),
    Column(f"Last {SPARK_EVENTS} values", lambda r: "", spark=lambda r: r.spark, sample="M" * 14),
]


async def read_entities(q: Any, entities: list[Any]) -> list[EntityRow]:
    """Each entity's last SPARK_EVENTS stored events (its current state and its sparkline)."""

    async def one(info: Any) -> EntityRow:
        return EntityRow(info, tuple(await q.last_events(info.entity_id, SPARK_EVENTS)))

    return list(await asyncio.gather(*(one(e) for e in entities)))


async def read_reliability(store: Any, device_id: str) -> Any:
    """core.reliability over the last RELIABILITY_HOURS, for this device (None if it has no row)."""
    from core.reliability import device_reliability

    end = datetime.now().astimezone()
    rows = await device_reliability(store, end - timedelta(hours=RELIABILITY_HOURS), end)
    return next((r for r in rows if r.device_id == device_id), None)


def reliability_text(rel: Any) -> str:
    if rel is None:
        return "reliability: no data"
    seen = f"last seen {fmt.age(rel.last_seen.timestamp())}" if rel.last_seen else "never seen"
    now = " · UNAVAILABLE NOW" if rel.unavailable_now else ""
    return (
        f"availability {fmt.percent(rel.availability_pct, 2)} over {RELIABILITY_HOURS} h · "
        f"{fmt.number(rel.events_per_day)} events/day · {seen}{now}"
    )


class DeviceDetail(QWidget):
    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.device: Any = None
        self.header = Card("Device")
        self.name = ui.label(name="stateTitle", wrap=True)
        self.facts = ui.label(name="muted", wrap=True)
        self.reliability = QLabel(wordWrap=True)
        for w in (self.name, self.facts, self.reliability):
            self.header.body.addWidget(w)
        self.model = RowsTableModel(ENTITY_COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(4, SparklineDelegate(self.table))
        setup_table(self.table, [c.sample for c in ENTITY_COLUMNS])
        self.entities = StateView(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.entities, 1)
        self.view_empty()

    def view_empty(self) -> None:
        self.name.setText("No device selected")
        self.facts.setText("Select a device to see its entities, their states and reliability.")
        self.reliability.setText("")
        self.model.set_rows([])
        self.entities.show_empty("")

    def show_device(self, row: Any) -> None:
        info = row.info
        self.device = row
        self.name.setText(info.display_name)
        hw = " ".join(x for x in (info.manufacturer, info.model) if x) or "unknown hardware"
        sw = f" · firmware {info.sw_version}" if info.sw_version else ""
        self.facts.setText(f"{hw}{sw}\n{row.area or 'no area'} · {row.floor or 'no floor'} · {info.id}")
        self.reliability.setText("")
        if not row.entities:
            self.model.set_rows([])
            self.entities.show_empty("No entities", "This device has no entities in the registry.")
            return
        self.model.set_rows([EntityRow(e) for e in row.entities])
        self.entities.show_content()
        device_id = info.id
        self.ctx.controller.query(
            lambda q: read_entities(q, row.entities),
            lambda rows: self._on_rows(device_id, rows),
            self._on_error,
        )
        store = self.ctx.runtime.store
        self.ctx.controller.submit(
            read_reliability(store, device_id), lambda r: self._on_reliability(device_id, r)
        )

    def _current(self, device_id: str) -> bool:
        return self.device is not None and self.device.info.id == device_id  # else the selection moved on

    def _on_rows(self, device_id: str, rows: list[EntityRow]) -> None:
        if self._current(device_id):
            self.model.set_rows(rows)

    def _on_reliability(self, device_id: str, rel: Any) -> None:
        if self._current(device_id):
            self.reliability.setText(reliability_text(rel))

    def _on_error(self, err: BaseException) -> None:
        self.entities.show_error("Cannot read the entities", str(err))
