"""Protocol constants, copied from Home Assistant Core so the simulator enforces the real numbers."""

from __future__ import annotations

from typing import Final

URL: Final = "/api/websocket"

# aiohttp's default, which HA does not change: frames from the client larger than this are rejected.
MAX_MSG_SIZE: Final = 4 * 1024 * 1024
HEARTBEAT: Final = 55.0
AUTH_TIMEOUT: Final = 10.0
# HA raises aiohttp's drain limit to 1 MiB once the client is authenticated (http.py).
WRITER_LIMIT_AFTER_AUTH: Final = 2**20

# websocket_api/const.py, newest versions.
MAX_PENDING_MSG: Final = 4096
PENDING_MSG_PEAK: Final = 1024
PENDING_MSG_PEAK_TIME: Final = 10.0
PENDING_MSG_MAX_FORCE_READY: Final = 256

ERR_ID_REUSE: Final = "id_reuse"
ERR_INVALID_FORMAT: Final = "invalid_format"
ERR_NOT_FOUND: Final = "not_found"
ERR_UNKNOWN_COMMAND: Final = "unknown_command"
ERR_UNKNOWN_ERROR: Final = "unknown_error"
ERR_UNAUTHORIZED: Final = "unauthorized"
ERR_HOME_ASSISTANT_ERROR: Final = "home_assistant_error"

MATCH_ALL: Final = "*"
EVENT_STATE_CHANGED: Final = "state_changed"
EVENT_STATE_REPORTED: Final = "state_reported"
EVENT_CALL_SERVICE: Final = "call_service"
EVENT_AUTOMATION_TRIGGERED: Final = "automation_triggered"
EVENT_HOMEASSISTANT_STARTED: Final = "homeassistant_started"
EVENT_ENTITY_REGISTRY_UPDATED: Final = "entity_registry_updated"
EVENT_DEVICE_REGISTRY_UPDATED: Final = "device_registry_updated"
EVENT_AREA_REGISTRY_UPDATED: Final = "area_registry_updated"
EVENT_FLOOR_REGISTRY_UPDATED: Final = "floor_registry_updated"
EVENT_LABEL_REGISTRY_UPDATED: Final = "label_registry_updated"

# core.py EVENTS_EXCLUDED_FROM_MATCH_ALL: a "*" listener never sees these.
EVENTS_EXCLUDED_FROM_MATCH_ALL: Final = frozenset({EVENT_STATE_REPORTED, "homeassistant_close"})
# core.py refuses a listener for these without an event filter, which WS subscriptions cannot give.
EVENTS_REQUIRING_FILTER: Final = frozenset({EVENT_STATE_REPORTED})

# homeassistant/auth/permissions/events.py SUBSCRIBE_ALLOWLIST.
SUBSCRIBE_ALLOWLIST: Final = frozenset(
    {
        "area_registry_updated",
        "category_registry_updated",
        "component_loaded",
        "core_config_updated",
        "device_registry_updated",
        "entity_registry_updated",
        "floor_registry_updated",
        "label_registry_updated",
        "lovelace_updated",
        "panels_updated",
        "recorder_5min_statistics_generated",
        "recorder_hourly_statistics_generated",
        "repairs_issue_registry_updated",
        "service_registered",
        "service_removed",
        "shopping_list_updated",
        EVENT_STATE_CHANGED,
        "themes_updated",
    }
)

# recorder/history/const.py
SIGNIFICANT_DOMAINS: Final = frozenset(
    {"climate", "device_tracker", "humidifier", "thermostat", "water_heater"}
)
NEED_ATTRIBUTE_DOMAINS: Final = frozenset(
    {"climate", "humidifier", "input_datetime", "thermostat", "water_heater"}
)

STATE_UNAVAILABLE: Final = "unavailable"
ATTR_RESTORED: Final = "restored"
