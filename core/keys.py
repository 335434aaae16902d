"""REST API keys: generated on first run, kept in a 0600 file next to the config, shown by `main.py keys`.

A key set in the config ([api] api_key / admin_api_key) wins over the generated one, so a user
can pin their own. Both keys are registered with the log redaction as soon as they are loaded.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from core.config import AppConfig, default_config_path
from core.fileperm import private_dir
from core.logs import register_secret

KEYS_FILE = "api_keys.json"
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class ApiKeys:
    api_key: str = field(repr=False)
    admin_api_key: str = field(repr=False)
    path: Path | None = None  # the keys file, when a key came from it


def keys_path(config: AppConfig) -> Path:
    """The keys file lives in the config file's directory (the platform config dir by default)."""
    base = Path(config.source_path) if config.source_path else default_config_path()
    return base.expanduser().parent / KEYS_FILE


def ensure_keys(config: AppConfig) -> ApiKeys:
    """Return the effective keys, generating and saving (file mode 0600) any the config does not set."""
    api_key, admin_key = config.api.api_key, config.api.admin_api_key
    path = keys_path(config)
    if not (api_key and admin_key):
        stored = _read(path)
        missing = {"api_key", "admin_api_key"} - set(stored)
        if missing:
            stored.update({name: secrets.token_urlsafe(KEY_BYTES) for name in missing})
            _write(path, stored)
        api_key = api_key or stored["api_key"]
        admin_key = admin_key or stored["admin_api_key"]
    register_secret(api_key, admin_key)
    return ApiKeys(api_key, admin_key, path)


def _read(path: Path) -> dict[str, str]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v}


def _write(path: Path, data: dict[str, str]) -> None:
    private_dir(path.parent)
    tmp = path.with_suffix(".tmp")
    # Created 0600 from the first byte: a chmod after writing would leave a window where it is readable.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    with contextlib.suppress(OSError):  # not supported everywhere (e.g. some Windows filesystems)
        os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def show_keys(config: AppConfig) -> str:
    """The text `python main.py keys` prints: both keys, where they come from, and how to use them."""
    keys = ensure_keys(config)
    api_src = "config [api] api_key" if config.api.api_key else str(keys.path)
    admin_src = "config [api] admin_api_key" if config.api.admin_api_key else str(keys.path)
    host = config.api.host if config.api.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return "\n".join(
        [
            f"API key (data, HA and /metrics):   {keys.api_key}   ({api_src})",
            f"Admin API key (admin endpoints):   {keys.admin_api_key}   ({admin_src})",
            "",
            "Use: Authorization: Bearer <key>, e.g.",
            f"  curl -H 'Authorization: Bearer {keys.api_key}' http://{host}:{config.api.port}/api/v1/events",
        ]
    )
