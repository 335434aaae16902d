"""history/history_during_period (components/history/websocket_api.py, newest version)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator import clock
from core.ha.simulator.command_table import Command, CommandError
from core.ha.simulator.history import HistoryQuery, significant_states
from core.ha.simulator.schema import Key, is_bool, is_str, str_list

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection

# homeassistant.core.valid_entity_id
_VALID_ENTITY_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")


def history_during_period(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return compressed history rows per entity, with HA's quirks (see history.py)."""
    home, zone = conn.host.home, conn.host.time_zone
    start = clock.parse_datetime(msg["start_time"], zone)
    if start is None:
        raise CommandError("invalid_start_time", "Invalid start_time")
    end = None
    if msg.get("end_time"):
        end = clock.parse_datetime(msg["end_time"], zone)
        if end is None:
            raise CommandError("invalid_end_time", "Invalid end_time")
    if start > clock.now_us():
        conn.send_result(msg["id"], b"{}")
        return
    entity_ids: list[str] = msg["entity_ids"]
    for entity_id in entity_ids:
        if entity_id not in home.states and not _VALID_ENTITY_ID.match(entity_id):
            raise CommandError("invalid_entity_ids", "Invalid entity_ids")
    if end is not None and not home.history.has_rows_before(end):
        conn.send_result(msg["id"], b"{}")
        return
    query = HistoryQuery(
        entity_ids=entity_ids,
        start=start,
        end=end,
        include_start_time_state=msg["include_start_time_state"],
        significant_changes_only=msg["significant_changes_only"],
        minimal_response=msg["minimal_response"],
        no_attributes=msg["no_attributes"],
    )
    result = significant_states(home.history, query, conn.host.history_visible_until())
    conn.send_result(msg["id"], orjson.dumps(result))


COMMANDS = {
    "history/history_during_period": Command(
        history_during_period,
        (
            Key("start_time", is_str, required=True),
            Key("end_time", is_str),
            Key("entity_ids", str_list, required=True),
            Key("include_start_time_state", is_bool, default=True),
            Key("significant_changes_only", is_bool, default=True),
            Key("minimal_response", is_bool, default=False),
            Key("no_attributes", is_bool, default=False),
        ),
    ),
}
