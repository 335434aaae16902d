"""What a command handler is, and the errors it may raise (mapped like async_handle_exception)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.ha.simulator.schema import Key

if TYPE_CHECKING:
    from core.ha.simulator.connection import ClientConnection

Handler = Callable[["ClientConnection", dict[str, Any]], None]


@dataclass(frozen=True)
class Command:
    """A handler and the keys its message may have besides id and type."""

    handler: Handler
    keys: tuple[Key, ...] = ()


class CommandError(Exception):
    """Sent as an error result with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unauthorized(Exception):
    """Sent as code unauthorized, message "Unauthorized"."""


class HomeAssistantError(Exception):
    """HA reports these as code unknown_error with str(err) as the message."""
