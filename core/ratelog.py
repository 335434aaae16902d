"""Rate-limited warnings: a flood of the same problem (bad frames from HA, rejected events) logs
once per key and interval, then says how many were not logged."""

from __future__ import annotations

import logging
import time


class RateLimitedLog:
    """At most one warning per key per interval, with the number suppressed in between."""

    def __init__(self, logger: logging.Logger, interval_s: float = 10.0) -> None:
        self._logger = logger
        self._interval = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def warning(self, key: str, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -1e9) < self._interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        skipped = self._suppressed.pop(key, 0)
        self._last[key] = now
        if skipped:
            self._logger.warning(msg + " (%d similar suppressed)", *args, skipped)
        else:
            self._logger.warning(msg, *args)
