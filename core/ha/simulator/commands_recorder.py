"""recorder/info (components/recorder/websocket_api.py): the recorder's state, above all its backlog.

A client back-filling from history asks it to know whether the recorder has written everything
fired so far. The keys and values are those of a real HA 2025.4 with an idle recorder; `backlog`
is the number of rows the (simulated) recorder has not committed yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator.command_table import Command

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection

MAX_BACKLOG = 65_000  # recorder/const.py MAX_QUEUE_BACKLOG_MIN_VALUE


def recorder_info(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Answer like ws_info (no admin needed)."""
    info = {
        "backlog": conn.host.recorder_backlog(),
        "db_in_default_location": True,
        "max_backlog": MAX_BACKLOG,
        "migration_in_progress": False,
        "migration_is_live": False,
        "recording": True,
        "thread_running": True,
    }
    conn.send_result(msg["id"], orjson.dumps(info))


COMMANDS = {"recorder/info": Command(recorder_info)}
