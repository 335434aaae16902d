"""Gap back-fill after a (re)connect, from HA's recorder via history/history_during_period.

The window runs from the last stored event (minus an overlap) to now, capped at backfill_max_hours,
and is fetched in time slices x entity chunks. Slices adapt to the density of the history: each
reply should hold about `target_rows` rows, because one reply is one WebSocket frame that is parsed
in one go on the event loop (a 1-hour slice of a busy home is tens of MB: a 200 ms+ freeze of the
GUI, and a frame past the message limit). A quiet window grows the slices fourfold per step. Every
slice begins with HA's synthetic start-state row (its `lu` is the requested start_time, not a real
change): it is skipped. Rows seen twice (slices overlap by a millisecond) are dropped here; rows
that are already stored are dropped by the store's (entity_id, time) key.

When the store holds no event of this HA there is no last event: the first connection imports
its last `initial_backfill_hours` instead. A back-fill reports each completed slice (`on_progress`), so the
client can persist how far it got and a restart resumes from there instead of losing the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from core.models import EventSource

_SLICE_OVERLAP = timedelta(milliseconds=1)  # HA filters lu < end_time: a row on a boundary stays in one slice


class HistorySink(Protocol):
    def submit_history_row(self, entity_id: str, row: Any, source: EventSource = ..., /) -> object: ...


Command = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class BackfillPlan:
    start: datetime
    end: datetime
    entity_ids: tuple[str, ...]
    slice_s: float = 3600.0  # the longest slice
    chunk_size: int = 250
    first_slice_s: float | None = None  # None: start at slice_s
    target_rows: int = 5000  # rows per reply the slices adapt to (about 1.5 MB of JSON)
    min_slice_s: float = 0.1


@dataclass(frozen=True, slots=True)
class Gap:
    """What one connection back-fills: from `since` on, at most `max_hours` back from now."""

    since: datetime
    max_hours: float
    initial: bool = False  # the store holds no event of this HA: its recent history is imported


@dataclass(slots=True)
class BackfillResult:
    requests: int = 0
    rows: int = 0  # submitted to the pipeline
    start_rows: int = 0  # synthetic start-state rows skipped
    duplicates: int = 0  # rows seen twice across slices
    bad_rows: int = 0  # not an object or no numeric lu


def plan_window(
    last_stored: datetime | None, now: datetime, max_hours: float, overlap_s: float
) -> tuple[datetime, datetime] | None:
    """The [start, end] to back-fill, or None when there is nothing to fill (or it is disabled)."""
    if last_stored is None or max_hours <= 0:
        return None
    if last_stored.tzinfo is None:
        last_stored = last_stored.replace(tzinfo=UTC)
    start = max(last_stored - timedelta(seconds=overlap_s), now - timedelta(hours=max_hours))
    return (start, now) if start < now else None


def choose_gap(
    stored: datetime | None, pending: datetime | None, now: datetime, max_hours: float, initial_hours: float
) -> Gap | None:
    """Where this connection's back-fill starts, or None when there is nothing to fill.

    An unfinished back-fill (`pending`) wins over the last stored event: the live events stored
    since it was interrupted are newer than its unfilled part. It may be an interrupted first
    import, so it keeps the larger of the two limits. With neither, nothing of this HA is stored:
    import its last `initial_hours`. `since` is clamped to the limit, so what gets persisted as the
    pending start never reaches further back than what was admitted.
    """
    if pending is not None and (stored is None or pending < stored):
        since, hours, initial = pending, max(max_hours, initial_hours), False
    elif stored is not None:
        since, hours, initial = stored, max_hours, False
    else:
        since, hours, initial = now - timedelta(hours=initial_hours), initial_hours, True
    if hours <= 0:
        return None
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return Gap(max(since, now - timedelta(hours=hours)), hours, initial)


def next_slice_s(current_s: float, reply_rows: int, plan: BackfillPlan) -> float:
    """The next slice's length, from the largest reply of the current one."""
    if reply_rows > plan.target_rows:
        return max(plan.min_slice_s, current_s * plan.target_rows / reply_rows)
    if reply_rows < plan.target_rows / 4:
        return min(plan.slice_s, current_s * 4)
    return current_s


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i : i + max(1, size)]


def history_command(start: datetime, end: datetime, entity_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "history/history_during_period",
        "start_time": start.isoformat(),
        "end_time": end.isoformat(),
        "entity_ids": list(entity_ids),
        "include_start_time_state": True,
        "significant_changes_only": False,  # attribute-only updates are changes too
        "minimal_response": False,  # full rows: minimal ones drop same-state attribute updates
        "no_attributes": False,
    }


class Backfiller:
    """Runs one plan; submits rows in order per entity, yielding to the loop every `yield_every`."""

    def __init__(self, command: Command, sink: HistorySink, *, yield_every: int = 50) -> None:
        self._command = command
        self._sink = sink
        self._yield_every = yield_every
        self._seen: set[tuple[str, float]] = set()
        self.result = BackfillResult()

    async def run(
        self,
        plan: BackfillPlan,
        after_chunk: Callable[[], Awaitable[object]] | None = None,
        on_progress: Callable[[datetime], Awaitable[object]] | None = None,
    ) -> BackfillResult:
        """Fetch and submit the plan; `on_progress(t)` after each slice: every row up to t is
        submitted (and stored, when `after_chunk` flushes the pipeline), so a resume may start at t."""
        slice_s = plan.first_slice_s or plan.slice_s
        start = plan.start
        while start < plan.end:
            cut = min(plan.end, start + timedelta(seconds=slice_s))
            # HA filters lu < end_time: the overlap keeps a row on the boundary in one slice.
            end = min(plan.end, cut + _SLICE_OVERLAP) if cut < plan.end else plan.end
            largest = 0
            for ids in chunks(plan.entity_ids, plan.chunk_size):
                reply = await self._command(history_command(start, end, ids))
                self.result.requests += 1
                largest = max(largest, await self._submit_reply(reply, start.timestamp()))
                if after_chunk is not None:
                    await after_chunk()  # back-pressure: a long gap must not flood the pipeline's queue
            start, slice_s = cut, next_slice_s(slice_s, largest, plan)
            if on_progress is not None:
                await on_progress(cut)
        return self.result

    async def _submit_reply(self, reply: Any, start_ts: float) -> int:
        """Submit the new rows of one reply; return how many rows it held."""
        if not isinstance(reply, dict):
            return 0
        submitted = held = 0
        for entity_id, rows in reply.items():
            if not isinstance(rows, list):
                self.result.bad_rows += 1
                continue
            held += len(rows)
            for row in rows:
                if self._accept(entity_id, row, start_ts):
                    self._sink.submit_history_row(entity_id, row, EventSource.BACKFILL)
                    submitted += 1
                    if submitted % self._yield_every == 0:
                        await asyncio.sleep(0)
        self.result.rows += submitted
        return held

    def _accept(self, entity_id: str, row: Any, start_ts: float) -> bool:
        lu = row.get("lu") if isinstance(row, dict) else None
        if isinstance(lu, bool) or not isinstance(lu, int | float):
            self.result.bad_rows += 1
            return False
        if lu <= start_ts + 1e-6:  # the synthetic start-state row (lu == start_time)
            self.result.start_rows += 1
            return False
        key = (entity_id, float(lu))
        if key in self._seen:
            self.result.duplicates += 1
            return False
        self._seen.add(key)
        return True
