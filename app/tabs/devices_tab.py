"""Devices: search and filters (area, floor, manufacturer, integration, domain) over the devices the
store knows (EventQueries.devices / entities), and a detail pane for the selected device."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QSplitter, QTableView, QVBoxLayout, QWidget

from app import fmt
from app.models.rows_model import ROW_ROLE, Column, RowsTableModel
from app.tabs import BaseTab, TabContext, register_tab
from app.tabs.device_detail import DeviceDetail
from app.widgets import ui
from app.widgets.filter_combo import FilterCombo
from app.widgets.state_view import StateView
from app.widgets.tables import setup_table


@dataclass(slots=True)
class DeviceRow:
    info: Any  # DeviceInfo
    area: str
    floor: str
    entities: list[Any] = field(default_factory=list)  # EntityInfo

    @property
    def integrations(self) -> set[str]:
        return {e.platform for e in self.entities if e.platform}

    @property
    def domains(self) -> set[str]:
        return {e.domain for e in self.entities}


DEVICE_COLUMNS = [
    Column("Device", lambda r: r.info.display_name, sample=None),
    Column("Manufacturer", lambda r: fmt.text(r.info.manufacturer), sample="Google Inc."),
    Column("Model", lambda r: fmt.text(r.info.model), sample="Smart Lock 3"),
    Column("Area", lambda r: r.area, sample="Living Room"),
    Column("Floor", lambda r: r.floor, sample="Ground floor"),
    Column("Integration", lambda r: ", ".join(sorted(r.integrations)), sample="Integration"),
    Column("Entities", lambda r: str(r.info.entity_count), align_right=True, sample="Entities"),
]


async def read_devices(
    q: Any, area_id: str | None, floor_id: str | None, search: str | None
) -> dict[str, Any]:
    devices, entities, areas, floors = await asyncio.gather(
        q.devices(area_id=area_id, floor_id=floor_id, search=search), q.entities(), q.areas(), q.floors()
    )
    return {"devices": devices, "entities": entities, "areas": areas, "floors": floors}


def build_rows(data: dict[str, Any]) -> list[DeviceRow]:
    area_names = {a.area_id: a.name for a in data["areas"]}
    floor_names = {f.floor_id: f.name for f in data["floors"]}
    by_device: dict[str, list[Any]] = {}
    for entity in data["entities"]:
        if entity.device_id:
            by_device.setdefault(entity.device_id, []).append(entity)
    return [
        DeviceRow(d, area_names.get(d.area_id or "", fmt.text(d.area_id)),
                  floor_names.get(d.floor_id or "", fmt.text(d.floor_id)), by_device.get(d.id, []))
        for d in sorted(data["devices"], key=lambda d: d.display_name.lower())
    ]  # fmt: skip


@register_tab
class DevicesTab(BaseTab):
    key = "devices"
    title = "Devices"
    order = 40

    def __init__(self, ctx: TabContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.search = QLineEdit(placeholderText="search name, manufacturer, model…", clearButtonEnabled=True)
        self.filters = {
            "area": FilterCombo("all areas"),
            "floor": FilterCombo("all floors"),
            "manufacturer": FilterCombo("all manufacturers"),
            "integration": FilterCombo("all integrations"),
            "domain": FilterCombo("all domains"),
        }
        self.count = ui.label(name="muted")
        self.model = RowsTableModel(DEVICE_COLUMNS)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.view = StateView(self.table)
        self.detail = DeviceDetail(ctx)
        self._all: list[DeviceRow] = []
        self._setup_ui()
        self.every(30_000, self.refresh)
        self.track(ctx.bridge.registry_updated, lambda _s: self.refresh())

    def _setup_ui(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for combo in self.filters.values():
            bar.addWidget(combo)
        bar.addWidget(self.count)
        setup_table(self.table, [c.sample for c in DEVICE_COLUMNS])
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setSizes([760, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.search.returnPressed.connect(self.refresh)
        self.search.textChanged.connect(self._on_search_text)
        self.filters["area"].currentIndexChanged.connect(self.refresh)
        self.filters["floor"].currentIndexChanged.connect(self.refresh)
        for key in ("manufacturer", "integration", "domain"):
            self.filters[key].currentIndexChanged.connect(self._show)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)

    def _on_search_text(self, text: str) -> None:
        if not text:  # cleared: show everything again (typing searches on Enter)
            self.refresh()

    def refresh(self, *_: Any) -> None:
        if self.runtime.store is None:
            self.view.show_empty("No devices yet", "The store is not open yet.")
            return
        area, floor = self.filters["area"].value, self.filters["floor"].value
        search = self.search.text().strip() or None
        self.ctx.controller.query(
            lambda q: read_devices(q, area, floor, search), self._on_data, self._on_error
        )

    def _on_data(self, data: dict[str, Any]) -> None:
        self._all = build_rows(data)
        self.filters["area"].set_choices([(a.name, a.area_id) for a in data["areas"]])
        self.filters["floor"].set_choices([(f.name, f.floor_id) for f in data["floors"]])
        self.filters["manufacturer"].set_choices(
            sorted({r.info.manufacturer for r in self._all if r.info.manufacturer})
        )
        self.filters["integration"].set_choices(sorted({p for r in self._all for p in r.integrations}))
        self.filters["domain"].set_choices(sorted({e.domain for e in data["entities"]}))
        self._show()

    def _on_error(self, err: BaseException) -> None:
        self.view.show_error("Cannot read the devices", str(err))

    def _show(self, *_: Any) -> None:
        rows = [r for r in self._all if self._matches(r)]
        selected = self.table.currentIndex().data(ROW_ROLE) if self.table.currentIndex().isValid() else None
        self.model.set_rows(rows)
        self.count.setText(f"{len(rows)} of {len(self._all)} devices")
        if rows:
            self.view.show_content()
            ids = [r.info.id for r in rows]
            if selected is not None and selected.info.id in ids:
                self.table.selectRow(ids.index(selected.info.id))
        elif self._all:
            self.view.show_empty("No device matches these filters", f"{len(self._all)} devices known.")
        else:
            self.view.show_empty(
                "No devices yet", "Devices appear once Home Assistant's registries are synced."
            )

    def _matches(self, row: DeviceRow) -> bool:
        f = {k: c.value for k, c in self.filters.items()}
        return (
            (f["manufacturer"] is None or row.info.manufacturer == f["manufacturer"])
            and (f["integration"] is None or f["integration"] in row.integrations)
            and (f["domain"] is None or f["domain"] in row.domains)
        )

    def _on_current(self, index: QModelIndex, _prev: QModelIndex) -> None:
        row = index.data(ROW_ROLE) if index.isValid() else None
        if row is not None:
            self.detail.show_device(row)
