"""Structured logging: JSON lines to a rotating file and an in-memory ring, every record redacted.

`setup_logging()` is called once from main. The Logs endpoint and the GUI's Logs tab both read the
ring it returns, and every entry is also published on the bus (Topic.LOG) as a dict.

A correlation id lives in a contextvar: the API sets one per request, so every line a request
causes carries it, including lines logged by the engines it calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import logging.handlers
import re
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from core.bus import Bus, Topic
from core.config import SECRET_KEYS, SECTIONS, AppConfig, LoggingConfig, default_log_dir
from core.fileperm import private_dir, private_file

LOG_FILE = "ha-ingestor.log"
RING_SIZE = 5000
FILE_MAX_BYTES = 10 * 1024 * 1024
FILE_BACKUPS = 5
MASK = "********"

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)

# Logger name prefix -> engine name shown in the Logs tab (longest prefix wins). Engines add their own
# from their spec (`EngineSpec.logger`, registered by the runtime); these are the parts that are not engines.
ENGINE_BY_LOGGER: dict[str, str] = {
    "core.store": "sqlite",
    "core.runtime": "runtime",
    "app": "gui",
    "aiohttp": "api",
}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# -- correlation ids -------------------------------------------------------------------------------


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def get_correlation_id() -> str | None:
    return correlation_id_var.get()


@contextlib.contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Run a block under a correlation id (a new one when none is given)."""
    cid = correlation_id or new_correlation_id()
    token = correlation_id_var.set(cid)
    try:
        yield cid
    finally:
        correlation_id_var.reset(token)


# -- redaction ------------------------------------------------------------------------------------
#
# The one redaction of the app: log records, API texts, the headless status line and the GUI all go
# through `redact`. Rules (README, "Security"):
# - a secret shorter than MIN_SECRET_LEN is never masked: masking "2025" would corrupt "HA 2025.8.1"
#   and give the secret away by where the mask lands (the kiosk PIN is kept as a hash for that reason);
# - a secret shorter than ANYWHERE_LEN is masked only as a whole token (no letter or digit touching
#   it), so a short password cannot eat into ordinary words;
# - a longer secret (tokens, API keys) is masked wherever it appears, even glued to other text;
# - the value of an "access_token" field is masked whole or truncated (websockets logs frames at
#   DEBUG shortened in the middle, so the exact token is not always there to match).

MIN_SECRET_LEN = 6
ANYWHERE_LEN = 16
_TOKEN_FIELD_RE = re.compile(r'("access_token"\s*:\s*")[^"\']*')

_secrets: frozenset[str] = frozenset()
_secret_re: re.Pattern[str] | None = None
_secrets_lock = threading.Lock()


def _pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    parts = []
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: a secret containing another
        escaped = re.escape(secret)
        parts.append(escaped if len(secret) >= ANYWHERE_LEN else rf"(?<![^\W_]){escaped}(?![^\W_])")
    return re.compile("|".join(parts))


def register_secret(*secrets: str | None) -> None:
    """Mask these strings in every log record and human-facing text from now on."""
    global _secrets, _secret_re
    new = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN}
    if not new or new <= _secrets:
        install_redaction()
        return
    with _secrets_lock:
        _secrets = _secrets | new
        _secret_re = _pattern(_secrets)
    install_redaction()


def config_secrets(config: AppConfig) -> list[str]:
    """Every secret value of the config: any field named in SECRET_KEYS, in any section."""
    found: list[str] = []
    for section in SECTIONS:
        obj = getattr(config, section)
        for f in fields(obj):
            value = getattr(obj, f.name)
            if f.name in SECRET_KEYS and isinstance(value, str) and value:
                found.append(value)
    return found


def register_config_secrets(config: AppConfig) -> None:
    """Register every secret of the config (HA token, InfluxDB password and token, API keys, the
    kiosk PIN's hash, and any future SECRET_KEYS field). The runtime calls it on load and on apply."""
    register_secret(*config_secrets(config))


def install_redaction() -> None:
    """Make every new log record carry a redacted message (idempotent)."""
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)


def redact(text: str) -> str:
    """`text` with every registered secret and every access_token value replaced by MASK."""
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if "access_token" in text:
        text = _TOKEN_FIELD_RE.sub(r"\g<1>" + MASK, text)
    return text


def redact_value(value: Any) -> Any:
    """Redact strings inside JSON-like values; anything else becomes its redacted str()."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(v) for v in value]
    return redact(str(value))


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record, for every handler (ours or not), carries an already redacted message."""
    record = _base_factory(*args, **kwargs)
    # Always: the access_token pattern applies before any secret is registered (websockets frames).
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: leave it for the handler to report
        return record
    record.msg, record.args = redact(message), None
    return record


class RedactingFormatter(logging.Formatter):
    """For plain-text handlers: also masks secrets in exception text and stack traces."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


# -- entries and the ring -------------------------------------------------------------------------

_seq = itertools.count(1)


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    t: float  # wall clock, seconds
    level: str
    engine: str
    operation: str
    correlation_id: str | None
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    logger: str = ""

    @property
    def timestamp(self) -> str:
        return datetime.fromtimestamp(self.t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "level": self.level,
            "engine": self.engine,
            "operation": self.operation,
            "correlation_id": self.correlation_id,
            "message": self.message,
            "fields": self.fields,
            "logger": self.logger,
        }


def register_engine_logger(prefix: str, engine: str) -> None:
    """Records of loggers under `prefix` belong to `engine` in the Logs tab and /api/v1/logs."""
    ENGINE_BY_LOGGER[prefix] = engine


def engine_for_logger(name: str) -> str:
    best = ""
    for prefix in ENGINE_BY_LOGGER:
        if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    return ENGINE_BY_LOGGER[best] if best else name


def entry_from_record(record: logging.LogRecord) -> LogEntry:
    """Build (once per record: the file and ring handlers share it) the redacted structured entry."""
    cached = getattr(record, "_ha_entry", None)
    if isinstance(cached, LogEntry):
        return cached
    fields_ = getattr(record, "fields", None)
    out_fields: dict[str, Any] = redact_value(fields_) if isinstance(fields_, dict) else {}
    if record.exc_info and record.exc_info[0] is not None:
        out_fields["exception"] = redact(logging.Formatter().formatException(record.exc_info))
    try:
        message = redact(record.getMessage())
    except Exception:
        message = redact(f"{record.msg!r} (bad log arguments {record.args!r})")
    entry = LogEntry(
        seq=next(_seq),
        t=record.created,
        level=record.levelname,
        engine=str(getattr(record, "engine", "") or engine_for_logger(record.name)),
        operation=str(getattr(record, "operation", "") or record.funcName),
        correlation_id=getattr(record, "correlation_id", None) or correlation_id_var.get(),
        message=message,
        fields=out_fields,
        logger=record.name,
    )
    record._ha_entry = entry
    return entry


@dataclass(frozen=True, slots=True)
class LogQuery:
    level: str | None = None  # minimum level
    engine: str | None = None
    correlation_id: str | None = None
    since: float | None = None
    text: str | None = None  # case-insensitive substring of message or fields
    limit: int = 200


class LogRing:
    """The newest entries in memory, for the Logs endpoint and the GUI's Logs tab."""

    def __init__(self, maxlen: int = RING_SIZE) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=maxlen)

    def append(self, entry: LogEntry) -> None:
        self._entries.append(entry)  # deque.append is atomic: safe from worker threads

    def __len__(self) -> int:
        return len(self._entries)

    def query(self, q: LogQuery) -> list[LogEntry]:
        """Matching entries, newest first."""
        min_level = LEVELS.index(q.level) if q.level in LEVELS else 0
        needle = q.text.lower() if q.text else None
        out: list[LogEntry] = []
        for entry in reversed(tuple(self._entries)):
            if q.since is not None and entry.t < q.since:
                break  # entries are in time order
            if not _matches(entry, q, min_level, needle):
                continue
            out.append(entry)
            if len(out) >= q.limit:
                break
        return out


def _matches(entry: LogEntry, q: LogQuery, min_level: int, needle: str | None) -> bool:
    if entry.level in LEVELS and LEVELS.index(entry.level) < min_level:
        return False
    if q.engine and entry.engine != q.engine:
        return False
    if q.correlation_id and entry.correlation_id != q.correlation_id:
        return False
    if needle is None:
        return True
    if needle in entry.message.lower():
        return True
    return needle in orjson.dumps(entry.fields, default=str).decode().lower()


class RingHandler(logging.Handler):
    """Appends to the ring and publishes on the bus, on the loop's thread whatever thread logged."""

    def __init__(self, ring: LogRing, bus: Bus | None) -> None:
        super().__init__()
        self.ring = ring
        self.bus = bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publishing = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            entry = entry_from_record(record)
        except Exception:
            self.handleError(record)
            return
        self.ring.append(entry)
        if self.bus is not None:
            self._publish(entry)

    def _publish(self, entry: LogEntry) -> None:
        # A bus subscriber that logs would re-enter here: publish its lines to the ring only.
        if getattr(self._publishing, "active", False):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            self._loop = loop
            self._publishing.active = True
            try:
                assert self.bus is not None
                self.bus.publish(Topic.LOG, entry.to_dict())
            finally:
                self._publishing.active = False
        elif self._loop is not None and not self._loop.is_closed():
            # Worker threads (aiosqlite, executors): bus subscribers only run on the loop's thread.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._publish, entry)


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = entry_from_record(record)
        return orjson.dumps(entry.to_dict(), default=str).decode()


# -- setup ----------------------------------------------------------------------------------------

_installed: list[logging.Handler] = []
_current_ring: LogRing | None = None


def log_file_path(config: LoggingConfig) -> Path:
    return Path(config.log_dir).expanduser() if config.log_dir else default_log_dir()


def setup_logging(config: LoggingConfig, bus: Bus | None = None, *, stderr: bool = False) -> LogRing:
    """Install the file, ring (and optionally stderr) handlers on the root logger; safe to call again."""
    global _current_ring
    install_redaction()
    shutdown_logging()
    root = logging.getLogger()
    ring = LogRing()
    handlers: list[logging.Handler] = [RingHandler(ring, bus), _file_handler(config)]
    if stderr:
        err = logging.StreamHandler()
        err.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(err)
    for handler in handlers:
        root.addHandler(handler)
        _installed.append(handler)
    root.setLevel(config.level)
    # aiohttp's access log would duplicate our per-request line (which carries the correlation id).
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    _current_ring = ring
    return ring


def shutdown_logging() -> None:
    """Remove and close the handlers setup_logging installed (app exit, tests)."""
    global _current_ring
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    _current_ring = None


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files are 0600 (the first one and every one a rollover opens), whatever the umask."""

    def _open(self) -> Any:
        private_file(Path(self.baseFilename))
        return super()._open()


def _file_handler(config: LoggingConfig) -> logging.Handler:
    directory = private_dir(log_file_path(config))
    handler = PrivateRotatingFileHandler(
        directory / LOG_FILE, maxBytes=FILE_MAX_BYTES, backupCount=FILE_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(JsonLineFormatter())
    return handler


def get_log_ring(bus: Bus | None = None) -> LogRing:
    """The ring setup_logging installed, or an in-memory-only one when logging was never set up."""
    global _current_ring
    if _current_ring is None:
        install_redaction()
        _current_ring = LogRing()
        handler = RingHandler(_current_ring, bus)
        logging.getLogger().addHandler(handler)
        _installed.append(handler)
    return _current_ring
