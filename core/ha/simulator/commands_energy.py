"""energy/get_prefs (components/energy/websocket_api.py): the energy dashboard's preferences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator import const
from core.ha.simulator.command_table import Command, CommandError

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection


def get_prefs(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return the preferences, or not_found when the dashboard was never set up (as HA does)."""
    prefs = conn.host.home.energy_prefs
    if prefs is None:
        raise CommandError(const.ERR_NOT_FOUND, "No prefs")
    conn.send_result(msg["id"], orjson.dumps(prefs))


COMMANDS = {"energy/get_prefs": Command(get_prefs)}
