"""The HA client's value types: the link state the GUI shows, the Test button's answer, the knobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

from core.engine import EngineState
from core.ha.backfill_catchup import CatchUp


class ConnState(StrEnum):
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    CONNECTED = "connected"
    AUTH_INVALID = "auth_invalid"
    BACKING_OFF = "backing_off"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What the GUI shows about the HA link; published on Topic.HA_CONNECTION on every change."""

    state: ConnState = ConnState.DISCONNECTED
    url: str = ""  # the WebSocket URL without credentials
    ha_version: str | None = None
    connected_since: datetime | None = None
    entity_count: int = 0
    reconnects: int = 0  # successful connections after the first
    last_error: str | None = None
    next_retry_at: datetime | None = None
    synced: bool = False  # registries, states and back-fill done on this connection
    # Back-fills whose gap HA's recorder had not written to the end within the bounded wait (the
    # tail of those gaps may be missing); the alert engine and the GUI read it from here.
    backfill_unconfirmed: int = 0
    last_catchup: CatchUp | None = None  # the recorder wait of this connection's back-fill


@dataclass(frozen=True, slots=True)
class ConnectionTest:
    ok: bool
    ha_version: str | None = None
    entity_count: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ClientTuning:
    """Knobs that are not user settings; tests and the benchmark shorten them."""

    auth_retry_floor_s: float = 60.0  # never retry a rejected token faster (HA's ip_ban counts failures)
    healthy_after_s: float = 10.0  # a connection up this long (and synced) resets the backoff
    jitter: float = 0.1
    open_timeout_s: float = 10.0
    command_timeout_s: float = 120.0  # get_states / registries / history of a big home
    registry_debounce_s: float = 0.5
    backfill_overlap_s: float = 10.0
    # HA's recorder commits every 5 s: rows younger than that are not queryable yet, so the
    # back-fill waits this long after subscribing (live events flow meanwhile).
    backfill_delay_s: float = 6.0
    backfill_slice_s: float = 3600.0  # the longest history request; shorter where history is dense
    backfill_first_slice_s: float = 1.0  # the first request, before the density is known
    backfill_chunk_entities: int = 250
    # How long a back-fill waits for HA's recorder to write up to the first live event (then it
    # fills what there is and says the gap may be incomplete), and how often it asks.
    backfill_catchup_max_s: float = 120.0
    backfill_catchup_poll_s: float = 1.0
    yield_every: int = 50  # messages handled between `await asyncio.sleep(0)` (GUI on the same loop)
    seed: int | None = None  # jitter RNG seed, for reproducible tests


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment: nothing secret may reach the GUI or logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def engine_state(info: ConnectionInfo, connections: int) -> EngineState:
    if info.state == ConnState.STOPPED:
        return EngineState.STOPPED
    if info.state == ConnState.CONNECTED:
        return EngineState.RUNNING
    if info.state == ConnState.AUTH_INVALID:
        return EngineState.FAILED
    if (
        info.state in (ConnState.CONNECTING, ConnState.AUTHENTICATING)
        and connections == 0
        and not info.last_error
    ):
        return EngineState.STARTING
    return EngineState.DEGRADED


def status_detail(info: ConnectionInfo) -> str:
    if info.state == ConnState.CONNECTED:
        syncing = "" if info.synced else ", syncing"
        text = f"connected to HA {info.ha_version or '?'} ({info.entity_count} entities{syncing})"
        catchup = info.last_catchup
        if catchup is not None and not catchup.caught_up:
            behind = "" if catchup.backlog is None else f", {catchup.backlog} events behind"
            text += f"; back-fill may be incomplete: HA's recorder had not caught up{behind}"
        return text
    if info.state in (ConnState.BACKING_OFF, ConnState.AUTH_INVALID) and info.next_retry_at is not None:
        wait = max(0.0, (info.next_retry_at - datetime.now(UTC)).total_seconds())
        return f"{info.last_error}; retry in {wait:.0f} s"
    return info.state.value
