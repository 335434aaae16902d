"""Retry policy of the sender: exponential backoff and a circuit breaker, with injectable timings.

closed: each connection failure waits backoff_initial_s * 2**(n-1) (capped at backoff_max_s);
after `failures_to_open` consecutive failures the circuit opens: no attempt for `open_s`, then one
half-open probe (the next batch). Success closes it; failure re-opens it for another `open_s`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SenderTimings:
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    failures_to_open: int = 3
    open_s: float = 60.0  # circuit open -> half-open probe
    auth_retry_s: float = 60.0  # 401/403: retried slowly, everything kept
    wrong_version_retry_s: float = 300.0
    idle_poll_s: float = 0.25  # outbox re-read when it was empty (no bus wake-up: see sender.py)
    status_interval_s: float = 1.0  # status publish + outbox cap check


class Breaker:
    def __init__(self, timings: SenderTimings) -> None:
        self._timings = timings
        self.failures = 0

    @property
    def is_open(self) -> bool:
        return self.failures >= self._timings.failures_to_open

    def on_success(self) -> None:
        self.failures = 0

    def on_failure(self) -> float:
        """Count a failure; return the wait before the next attempt."""
        self.failures += 1
        if self.is_open:
            return self._timings.open_s
        return min(self._timings.backoff_initial_s * 2.0 ** (self.failures - 1), self._timings.backoff_max_s)
