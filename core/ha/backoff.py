"""Reconnect delays: exponential with jitter, with a floor for failures that must not be hammered."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    """initial_s doubling per failure up to max_s, each delay jittered by ±jitter.

    Jitter spreads the reconnects of many kiosks after an HA restart; the floor keeps an
    auth_invalid retry loop from tripping HA's ip_ban (every failed login counts).
    """

    initial_s: float = 1.0
    max_s: float = 300.0
    jitter: float = 0.1
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, floor_s: float = 0.0) -> float:
        """The delay before the next attempt; counts one more failure."""
        base = min(self.max_s, self.initial_s * 2.0 ** min(self.failures, 62))
        self.failures += 1
        delay = base * (1.0 + self.rng.uniform(-self.jitter, self.jitter))
        return max(floor_s, delay)

    def reset(self) -> None:
        """Start again at initial_s (after a connection that proved healthy)."""
        self.failures = 0
