"""One redaction for every human-facing text: whole-token masking, no short secrets, the access_token
field, every secret of a config, the headless status line against a hostile HA, and the runtime with
the API disabled (issue 9: secrets registered by the runtime itself)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import fields, replace
from pathlib import Path

import orjson
import pytest
from aiohttp import WSMsgType, web

import core.logs as logs
from core.config import (
    SECRET_KEYS,
    SECTIONS,
    ApiConfig,
    AppConfig,
    InfluxConfig,
    LoggingConfig,
    SimulatorConfig,
    StorageConfig,
    UiConfig,
)
from core.logs import MASK, LogQuery, redact, register_config_secrets, register_secret, setup_logging
from core.pin import is_pin_hash, verify_pin

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "eyJhbGciOiJIUzI1NiJ9.hostile-test-token.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def fresh_secrets() -> Iterator[None]:
    """Each test starts with no registered secret (the registry is process-wide)."""
    saved = (logs._secrets, logs._secret_re)
    logs._secrets, logs._secret_re = frozenset(), None
    try:
        yield
    finally:
        logs._secrets, logs._secret_re = saved


def test_a_short_pin_never_corrupts_text() -> None:
    """A 4-digit kiosk PIN masked as a substring turned "HA 2025.8.1" into "HA ********.8.1"."""
    register_secret("2025")
    assert redact("connected to HA 2025.8.1") == "connected to HA 2025.8.1"
    config = AppConfig(ui=UiConfig(kiosk_pin="2025"))
    assert is_pin_hash(config.ui.kiosk_pin) and "2025" not in config.ui.kiosk_pin
    assert verify_pin("2025", config.ui.kiosk_pin) and not verify_pin("2026", config.ui.kiosk_pin)
    register_config_secrets(config)
    assert redact("connected to HA 2025.8.1") == "connected to HA 2025.8.1"
    assert redact(f"pin {config.ui.kiosk_pin}") == f"pin {MASK}"  # the hash is a secret too


def test_shorter_secrets_are_masked_as_whole_tokens_only() -> None:
    register_secret("pa55word")  # 8 characters: whole tokens
    assert redact("password=pa55word;") == f"password={MASK};"
    assert redact("user:pa55word@influx") == f"user:{MASK}@influx"
    assert redact("xpa55words") == "xpa55words"  # inside a word: another word, left alone
    register_secret("a-long-api-key-0123456789")  # 16+: masked wherever it appears
    assert redact("Bearera-long-api-key-0123456789x") == f"Bearer{MASK}x"


def test_access_token_values_are_masked_whole_or_truncated() -> None:
    line = '> TEXT \'{"type":"auth","access_token":"eyJhbGciOiJIUzI1..."}\' [110 bytes]'
    assert "eyJhbG" not in redact(line)
    register_secret(TOKEN)
    assert TOKEN not in redact(f"error {TOKEN} here")


def test_every_secret_field_of_a_config_is_registered() -> None:
    """Any field named in SECRET_KEYS, in any section, including ones added later."""
    values: dict[str, dict[str, str]] = {}
    config = AppConfig()
    for section in SECTIONS:
        obj = getattr(config, section)
        secret = {
            f.name: f"{section}-{f.name}-secret-value-0123" for f in fields(obj) if f.name in SECRET_KEYS
        }
        values[section] = secret
        config = replace(config, **{section: replace(obj, **secret)})
    expected = [getattr(getattr(config, s), k) for s, names in values.items() for k in names]
    assert len(expected) >= 6  # HA token, InfluxDB password + token, two API keys, the kiosk PIN hash
    register_config_secrets(config)
    text = " ".join(expected)
    assert redact(text) == " ".join([MASK] * len(expected))


def test_redaction_module_is_the_only_one() -> None:
    assert not (ROOT / "core" / "ha" / "redact.py").exists()


# -- the runtime registers every secret, whatever engines run -------------------------------------


async def test_runtime_without_the_api_redacts_the_influxdb_password(tmp_path: Path) -> None:
    """Under the GUI-less runtime with [api] enabled = false, nothing but the runtime itself can
    register the InfluxDB password (the API engine used to be the one doing it)."""
    from core.runtime import Runtime

    password = "influx-pass-8c1f2e77"
    config = AppConfig(
        storage=StorageConfig(data_dir=str(tmp_path / "data")),
        simulator=SimulatorConfig(rate=5),
        api=ApiConfig(enabled=False),
        influxdb=InfluxConfig(enabled=False, username="ha", password=password),
        logging=LoggingConfig(log_dir=str(tmp_path / "logs")),
        source_path=str(tmp_path / "config.toml"),
    )
    runtime = Runtime(config)  # the runtime calls register_config_secrets(config) here ...
    ring = setup_logging(config.logging, runtime.bus)
    try:
        await runtime.start()
        logging.getLogger("core.influx.sender").warning("login failed for ha/%s", password)
        new = replace(config, influxdb=replace(config.influxdb, password="applied-pass-3d9a7b"))
        await runtime.apply_config(new)  # ... and here, on apply
        logging.getLogger("core.influx.sender").warning("login failed for ha/applied-pass-3d9a7b")
    finally:
        await runtime.stop()
        logs.shutdown_logging()
    messages = [e.message for e in ring.query(LogQuery(text="login failed"))]
    assert len(messages) == 2 and all(m == f"login failed for ha/{MASK}" for m in messages)


# -- the headless status line against a hostile HA ------------------------------------------------


@pytest.fixture
async def hostile_ha() -> AsyncIterator[str]:
    """A WebSocket server speaking HA's auth phase that echoes the token in its auth_invalid
    message (as a proxy or a compromised HA could), so the HA client's error text quotes it."""

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(orjson.dumps({"type": "auth_required", "ha_version": "2025.4.4"}).decode())
        msg = await ws.receive()
        token = orjson.loads(msg.data).get("access_token", "") if msg.type == WSMsgType.TEXT else ""
        reply = {"type": "auth_invalid", "message": f"Invalid access token {token} ({token})"}
        await ws.send_str(orjson.dumps(reply).decode())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/api/websocket", websocket)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_headless_status_line_never_shows_the_token(tmp_path: Path, hostile_ha: str) -> None:
    """A real `main.py --headless` process: stdout (the status line) and the log file stay clean."""
    config = tmp_path / "config.toml"
    config.write_text(
        f'[home_assistant]\nurl = "{hostile_ha}"\nbackoff_initial_s = 0.2\n'
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[api]\nenabled = false\n[logging]\nlog_dir = "{tmp_path / "logs"}"\n'
    )
    env = {**os.environ, "HA_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "main.py"), "--headless", "--duration", "4", "--config", str(config),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode() + err.decode()
    assert proc.returncode == 0, text
    assert "HA " in text and "Invalid access token" in text  # the error is shown ...
    assert TOKEN not in text and "hostile-test-token" not in text  # ... without the token
    log_text = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    assert "Invalid access token" in log_text and TOKEN not in log_text
