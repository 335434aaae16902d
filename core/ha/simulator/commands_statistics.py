"""recorder/statistics_during_period (components/recorder/websocket_api.py): the long-term statistics
the energy dashboard reads. Times in and out follow HA: ISO start/end in, epoch milliseconds out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator import clock
from core.ha.simulator.command_table import Command, CommandError
from core.ha.simulator.energy_statistics import PERIODS_S, statistics
from core.ha.simulator.schema import Invalid, Key, is_str, str_list

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection

TYPES = {"change", "last_reset", "max", "mean", "min", "state", "sum"}


def _period(value: Any) -> str:
    if value not in ("5minute", "hour", "day", "week", "month"):
        raise Invalid("value must be one of ['5minute', 'day', 'hour', 'month', 'week']", value)
    return str(value)


def statistics_during_period(conn: ClientConnection, msg: dict[str, Any]) -> None:
    zone = conn.host.time_zone
    start = clock.parse_datetime(msg["start_time"], zone)
    if start is None:
        raise CommandError("invalid_start_time", "Invalid start_time")
    end = clock.now_us()
    if msg.get("end_time"):
        parsed = clock.parse_datetime(msg["end_time"], zone)
        if parsed is None:
            raise CommandError("invalid_end_time", "Invalid end_time")
        end = min(parsed, end)
    period = msg["period"]
    if period not in PERIODS_S:  # week and month: not simulated, so no rows (never wrong ones)
        conn.send_result(msg["id"], b"{}")
        return
    types = set(msg.get("types") or TYPES)
    rows = statistics(
        conn.host.home, msg["statistic_ids"], start // 1_000_000, end // 1_000_000, period, types, zone
    )
    conn.send_result(msg["id"], orjson.dumps(rows))


COMMANDS = {
    "recorder/statistics_during_period": Command(
        statistics_during_period,
        (
            Key("start_time", is_str, required=True),
            Key("end_time", is_str),
            Key("statistic_ids", str_list, required=True),
            Key("period", _period, required=True),
            Key("types", str_list),
            Key("units", lambda v: v),
        ),
    )
}
