"""What the client remembers across restarts, in the store's meta table: which HA the store holds
and where an unfinished back-fill starts.

Why it is persisted: after a crash or a quit mid back-fill, the store's newest row is a live event
that hides the unfilled part; and a store holding another HA's events (the demo home) says nothing
about this HA's gap. Every failure here costs only the resume after a restart, so it is logged,
never raised: ingest goes on.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

log = logging.getLogger("core.ha.client")

PENDING_KEY = "ha.backfill_pending_since"  # ISO-8601 UTC start of a back-fill that has not finished
INSTANCE_KEY = "ha.instance"  # URL of the HA whose events the store holds (another HA: import anew)


class MetaStore(Protocol):
    """The store's meta key/value table (EventStore has it)."""

    async def get_meta(self, key: str, /) -> str | None: ...

    async def set_meta(self, key: str, value: str | None, /) -> None: ...


class BackfillState:
    """The pending back-fill start and the store's HA; in memory only when there is no store."""

    def __init__(self, meta: MetaStore | None) -> None:
        self._meta = meta
        self._pending: datetime | None = None  # this run's own unfinished back-fill
        self._instance_saved = False  # INSTANCE_KEY holds this HA's URL

    async def same_instance(self, url: str) -> bool:
        """False when the stored events came from another HA. A store from before the key existed
        counts as this HA's: no surprise re-import."""
        if self._meta is None:
            return True
        try:
            known = await self._meta.get_meta(INSTANCE_KEY)
        except Exception as err:
            log.warning("cannot read which HA the store holds (%s); assuming this one", err)
            return True
        self._instance_saved = known == url
        return known is None or self._instance_saved

    async def save_instance(self, url: str) -> None:
        if self._meta is None or self._instance_saved:
            return
        try:
            await self._meta.set_meta(INSTANCE_KEY, url)
            self._instance_saved = True
        except Exception as err:
            log.warning("cannot record which HA the store holds (%s)", err)

    async def load_pending(self) -> datetime | None:
        """The earliest unfinished back-fill start: persisted by an earlier run, or this run's own
        (which is all there is without a store, or when writing the marker failed)."""
        persisted = None
        if self._meta is not None:
            try:
                persisted = parse_utc(await self._meta.get_meta(PENDING_KEY))
            except Exception as err:
                log.warning("cannot read the unfinished back-fill (%s)", err)
        return min((t for t in (persisted, self._pending) if t is not None), default=None)

    async def save_pending(self, since: datetime | None) -> None:
        """Persist where the unfinished back-fill starts (None: it finished)."""
        self._pending = since
        if self._meta is None:
            return
        value = None if since is None else since.astimezone(UTC).isoformat()
        try:
            await self._meta.set_meta(PENDING_KEY, value)
        except Exception as err:
            log.warning("cannot persist the back-fill position (%s); a restart may lose the gap", err)


def parse_utc(value: str | None) -> datetime | None:
    """A persisted ISO-8601 time (naive counts as UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        log.warning("ignoring an unreadable back-fill marker %r", value)
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
