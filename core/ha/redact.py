"""Keep the HA access token out of every log line and error text.

websockets logs each frame at DEBUG (`> TEXT '{"type":"auth","access_token":"eyJ...'`), shortened
in the middle, so replacing the exact token is not enough: the `access_token` value is masked by
pattern too, whole or truncated.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_TOKEN_FIELD = re.compile(r'("access_token"\s*:\s*")[^"\']*')
MASK = "***"


def redact(text: str, secret: str | None = None) -> str:
    """Text with the access_token field masked and every occurrence of `secret` replaced."""
    if secret:
        text = text.replace(secret, MASK)
    if "access_token" in text:
        text = _TOKEN_FIELD.sub(r"\g<1>" + MASK, text)
    return text


class RedactingLogger(logging.LoggerAdapter[logging.Logger]):
    """A logger for the websockets library: formats each record itself, then masks the token."""

    def __init__(self, logger: logging.Logger, secret: str) -> None:
        super().__init__(logger, {})
        self._secret = secret

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        self.logger.log(level, "%s", redact(text, self._secret), **kwargs)
