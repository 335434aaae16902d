"""Sports in InfluxDB (measurement `sports`), when InfluxDB is enabled: the poll puts line-protocol
rows into an outbox table of sports.db in the same transaction as the timeline and the events, and
`core.influx.drain.OutboxDrain` drains it oldest first with backoff. So an InfluxDB outage or a
crash loses no point, and a point is deleted from the outbox only after InfluxDB accepted it.
"""

from __future__ import annotations

import logging

from core.config import InfluxConfig
from core.influx.drain import OutboxDrain
from core.influx.line import escape_measurement
from core.sports.model import Game
from core.sports.store import SportsStore

_LOGGER = logging.getLogger("core.sports.influx")
MEASUREMENT = "sports"


def _tag(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ") or "none"


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def game_line(game: Game, observed_at: float, event: str | None = None) -> str:
    """One point: the game's state and scores when observed (and the event type, for event points)."""
    tags = (
        f"league={_tag(game.league)},game_id={_tag(game.game_id)},home={_tag(game.home.abbr)},"
        f"away={_tag(game.away.abbr)},kind={'event' if event else 'state'}"
    )
    fields = [f"state={_string(str(game.state))}", f"period={game.period}i", f"clock={_string(game.clock)}"]
    if game.home.score is not None and game.away.score is not None:
        fields += [f"home_score={game.home.score}i", f"away_score={game.away.score}i"]
    if event:
        fields.append(f"event={_string(event)}")
    return f"{escape_measurement(MEASUREMENT)},{tags} {','.join(fields)} {int(observed_at * 1e9)}"


class InfluxOut(OutboxDrain):
    def __init__(self, store: SportsStore, config: InfluxConfig) -> None:
        super().__init__(store, config, what="sports", logger=_LOGGER)
