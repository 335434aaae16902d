"""config/*_registry/list commands (read-only, not admin-gated)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator import registry_json as rj
from core.ha.simulator.command_table import Command

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection


def device_list(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every device; child devices in their reduced 2026.9 shape."""
    devices = conn.host.home.devices.values()
    conn.send_result(msg["id"], orjson.dumps([rj.device_repr(device) for device in devices]))


def entity_list(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every entity registry entry, disabled ones included."""
    entries = conn.host.home.entity_registry.values()
    conn.send_result(msg["id"], orjson.dumps([rj.entity_repr(entry) for entry in entries]))


def entity_list_for_display(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return the compact list of enabled entities."""
    entries = conn.host.home.entity_registry.values()
    conn.send_result(msg["id"], orjson.dumps(rj.list_for_display(entries)))


def area_list(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every area."""
    areas = conn.host.home.areas.values()
    conn.send_result(msg["id"], orjson.dumps([rj.area_repr(area) for area in areas]))


def floor_list(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every floor."""
    floors = conn.host.home.floors.values()
    conn.send_result(msg["id"], orjson.dumps([rj.floor_repr(floor) for floor in floors]))


def label_list(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every label."""
    labels = conn.host.home.labels.values()
    conn.send_result(msg["id"], orjson.dumps([rj.label_repr(label) for label in labels]))


COMMANDS = {
    "config/device_registry/list": Command(device_list),
    "config/entity_registry/list": Command(entity_list),
    "config/entity_registry/list_for_display": Command(entity_list_for_display),
    "config/area_registry/list": Command(area_list),
    "config/floor_registry/list": Command(floor_list),
    "config/label_registry/list": Command(label_list),
}
