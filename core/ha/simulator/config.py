"""Simulator configuration."""

from __future__ import annotations

from dataclasses import dataclass

from core.ha.simulator import const

MIN_RATE = 1.0
MAX_RATE = 20_000.0


def check_rate(rate: float) -> float:
    """Return the rate, or raise ValueError when it is outside what the generator supports."""
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError(f"rate must be between {MIN_RATE:g} and {MAX_RATE:g} events/s, got {rate}")
    return float(rate)


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulator behaves. The defaults are the embedded demo; tests shrink the timeouts."""

    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    token: str = "sim-token"
    """The only accepted access token."""
    rate: float = 20.0
    """state_changed events generated per second (1 .. 20000)."""
    seed: int = 1
    ha_version: str = "2026.8.1"
    admin: bool = True
    """False enforces HA's subscribe allowlist for non-admin users."""
    entities: int = 120
    """Entities in the state machine. Up to the standard home size you get the standard home;
    more adds extra sensor devices until the count is reached."""
    record: bool = False
    """Keep emitted_log() (entity_id, last_updated) of every state_changed; grows without bound."""
    auth_timeout: float = const.AUTH_TIMEOUT
    pending_peak_time: float = const.PENDING_MSG_PEAK_TIME
    """Seconds a client may stay above 1024 queued messages before it is disconnected."""
    restart_refuse_seconds: float = 0.5
    """How long restart() keeps the port closed."""
    startup_grace: float = 3.0
    """After restart() the start-up burst waits for the first state subscription, at most this long."""
    history_rows: int = 150_000
    """History rows kept in total (about 20 MB when full). Shared in proportion to how often entities
    change, so each keeps about history_rows / rate seconds (2 h at 20 events/s), at least 64 rows."""
    history_max_age: float = 24 * 3600.0
    history_commit_interval: float = 0.0
    """Like the recorder's commit_interval (HA default 5 s): rows newer than the last commit are not
    returned by history queries yet. 0 makes every row visible at once."""
    recorder_lag: float = 0.0
    """Seconds the recorder trails the event bus: a row becomes visible to history queries only this
    long after it was recorded (HA under load or on slow storage, such as an SD card, commits
    seconds late). recorder/info reports the rows still waiting as its `backlog`."""
    compress: bool = True
    """Accept permessage-deflate when the client offers it, as HA (aiohttp's default) does."""
    tls_cert: str | None = None
    """PEM certificate (chain) file: with tls_key, serve wss:// and https:// (HA's `ssl_certificate`)."""
    tls_key: str | None = None
    """PEM private key file of tls_cert."""

    def __post_init__(self) -> None:
        check_rate(self.rate)
        if self.entities < 1:
            raise ValueError("entities must be positive")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key must be given together")

    @property
    def tls(self) -> bool:
        """True when the simulator serves TLS."""
        return bool(self.tls_cert and self.tls_key)
