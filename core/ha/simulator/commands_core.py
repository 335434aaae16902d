"""Core commands: ping, supported_features, subscribe/unsubscribe_events, get_states, get_config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from core.ha.simulator import const
from core.ha.simulator.command_table import Command, CommandError, HomeAssistantError, Unauthorized
from core.ha.simulator.messages import pong_message
from core.ha.simulator.schema import Key, is_str, positive_int, str_int_map
from core.ha.simulator.solar import HOME_LATITUDE, HOME_LONGITUDE

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection, ConnectionHost

_UNIT_SYSTEM = {
    "length": "km",
    "accumulated_precipitation": "mm",
    "area": "m²",
    "mass": "g",
    "pressure": "Pa",
    "temperature": "°C",
    "volume": "L",
    "wind_speed": "m/s",
}


def ping(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Answer with pong, which is not a result message."""
    conn.send(pong_message(msg["id"]))


def supported_features(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Enable coalescing when the key is present (its value does not matter, as in HA)."""
    assert conn.outbox is not None
    conn.outbox.can_coalesce = "coalesce_messages" in msg["features"]
    conn.send_result(msg["id"])


def subscribe_events(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Subscribe to one event type or "*"; non-admins only to SUBSCRIBE_ALLOWLIST."""
    event_type: str = msg["event_type"]
    if not conn.host.config.admin and event_type not in const.SUBSCRIBE_ALLOWLIST:
        raise Unauthorized
    if event_type in const.EVENTS_REQUIRING_FILTER:
        raise HomeAssistantError(f"Event filter is required for event {event_type}")
    conn.subscribe(msg["id"], event_type)
    conn.send_result(msg["id"])
    if event_type in (const.EVENT_STATE_CHANGED, const.MATCH_ALL):
        conn.host.on_state_subscription()


def unsubscribe_events(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Remove a subscription made on this connection."""
    unsubscribe = conn.subscriptions.pop(msg["subscription"], None)
    if unsubscribe is None:
        raise CommandError(const.ERR_NOT_FOUND, "Subscription not found.")
    unsubscribe()
    conn.send_result(msg["id"])


def get_states(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return every state, each exactly like new_state in state_changed."""
    states = conn.host.home.states.all()
    conn.send_result(msg["id"], b"[" + b",".join(state.json for state in states) + b"]")


def get_config(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return hass.config.as_dict()."""
    conn.send_result(msg["id"], orjson.dumps(config_dict(conn.host)))


def config_dict(host: ConnectionHost) -> dict[str, Any]:
    """Return the core config as HA reports it."""
    home, config = host.home, host.config
    components = sorted(
        {entity_id.split(".", 1)[0] for entity_id in home.entities} | set(home.config_entries)
    )
    return {
        "allowlist_external_dirs": ["/config/www", "/media"],
        "allowlist_external_urls": [],
        "components": [*components, "history", "recorder", "websocket_api"],
        "config_dir": "/config",
        "config_source": "storage",
        "country": "DE",
        "currency": "EUR",
        "debug": False,
        "elevation": 35,
        "external_url": None,
        "internal_url": None,
        "language": "en",
        "latitude": HOME_LATITUDE,
        "location_name": "Home",
        "longitude": HOME_LONGITUDE,
        "radius": 100,
        "recovery_mode": False,
        "safe_mode": False,
        "state": "STARTING" if host.starting else "RUNNING",
        "time_zone": "Europe/Berlin",
        "unit_system": _UNIT_SYSTEM,
        "version": config.ha_version,
        "whitelist_external_dirs": ["/config/www", "/media"],
    }


def current_user(conn: ClientConnection, msg: dict[str, Any]) -> None:
    """Return the user the token belongs to (the owner, admin unless configured otherwise)."""
    name, user_id = next(iter(conn.host.home.users.items()))
    admin = conn.host.config.admin
    user = {
        "id": user_id,
        "name": name,
        "is_owner": admin,
        "is_admin": admin,
        "credentials": [{"auth_provider_type": "homeassistant", "auth_provider_id": None}],
        "mfa_modules": [{"id": "totp", "name": "Authenticator app", "enabled": False}],
    }
    conn.send_result(msg["id"], orjson.dumps(user))


COMMANDS = {
    "ping": Command(ping),
    "supported_features": Command(supported_features, (Key("features", str_int_map, required=True),)),
    "subscribe_events": Command(subscribe_events, (Key("event_type", is_str, default=const.MATCH_ALL),)),
    "unsubscribe_events": Command(unsubscribe_events, (Key("subscription", positive_int, required=True),)),
    "get_states": Command(get_states),
    "get_config": Command(get_config),
    "auth/current_user": Command(current_user),
}
