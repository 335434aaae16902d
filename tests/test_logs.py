"""Structured logging: JSON lines on disk, the ring and its filters, correlation ids, redaction of
registered secrets everywhere, and bus publication from any thread."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.bus import Bus, Topic
from core.config import AppConfig, HomeAssistantConfig, InfluxConfig, LoggingConfig
from core.logs import (
    LOG_FILE,
    MASK,
    LogQuery,
    LogRing,
    correlation_scope,
    engine_for_logger,
    get_correlation_id,
    redact,
    register_config_secrets,
    register_secret,
    setup_logging,
    shutdown_logging,
)

SECRET = "hunter2-token-7c1e9a"


@pytest.fixture
def logging_setup(tmp_path: Path) -> Iterator[tuple[LogRing, Bus, Path, list[Any]]]:
    root = logging.getLogger()
    level = root.level
    bus = Bus()
    published: list[Any] = []
    bus.subscribe(Topic.LOG, published.append)
    ring = setup_logging(LoggingConfig(level="DEBUG", log_dir=str(tmp_path)), bus)
    try:
        yield ring, bus, tmp_path / LOG_FILE, published
    finally:
        shutdown_logging()
        root.setLevel(level)


def file_lines(path: Path) -> list[dict[str, Any]]:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return [orjson.loads(line) for line in path.read_text().splitlines()]


def test_json_lines_carry_every_field(logging_setup: Any) -> None:
    ring, _bus, path, _ = logging_setup
    with correlation_scope("cid-123"):
        logging.getLogger("core.pipeline.pipeline").info(
            "stored %d events", 5, extra={"operation": "flush", "fields": {"batch": 5}}
        )
    (line,) = [x for x in file_lines(path) if x["message"] == "stored 5 events"]
    assert line["level"] == "INFO" and line["engine"] == "pipeline" and line["operation"] == "flush"
    assert line["correlation_id"] == "cid-123" and line["fields"] == {"batch": 5}
    assert line["timestamp"].endswith("Z") and line["logger"] == "core.pipeline.pipeline"
    assert ring.query(LogQuery(correlation_id="cid-123"))[0].message == "stored 5 events"


def test_secrets_are_masked_in_messages_fields_and_exceptions(logging_setup: Any) -> None:
    ring, _bus, path, _ = logging_setup
    register_secret(SECRET, "", None, "abc")  # empty, None and too-short values are ignored
    log = logging.getLogger("core.ha.client")
    log.warning("connecting with %s", SECRET, extra={"fields": {"url": f"ws://x/?t={SECRET}", "n": [SECRET]}})
    try:
        raise ValueError(f"bad token {SECRET}")
    except ValueError:
        log.exception("failed")
    text = path.read_text()
    assert SECRET not in text and MASK in text
    assert all(SECRET not in str(e.to_dict()) for e in ring.query(LogQuery()))
    assert redact("abc and abcd") == "abc and abcd"


def test_every_secret_of_the_config_is_registered(logging_setup: Any) -> None:
    ring, *_ = logging_setup
    config = AppConfig(
        home_assistant=HomeAssistantConfig(url="http://ha:8123", token="ha-token-0f9e8d7c"),
        influxdb=InfluxConfig(password="influx-pass-1a2b", token="influx-token-3c4d"),
    )
    register_config_secrets(config)
    logging.getLogger("core.runtime").info("ha-token-0f9e8d7c influx-pass-1a2b influx-token-3c4d")
    assert ring.query(LogQuery(limit=1))[0].message == " ".join([MASK] * 3)


def test_secret_never_reaches_foreign_handlers(logging_setup: Any, caplog: pytest.LogCaptureFixture) -> None:
    register_secret(SECRET)
    with caplog.at_level(logging.INFO):
        logging.getLogger("somelib").info("token=%s", SECRET)
    assert SECRET not in caplog.text


def test_ring_filters(logging_setup: Any) -> None:
    ring, *_ = logging_setup
    logging.getLogger("core.api.server").debug("debug line")
    logging.getLogger("core.api.server").warning("warning about Needle")
    logging.getLogger("core.influx.sender").error("influx down")
    assert [e.message for e in ring.query(LogQuery(level="WARNING"))][:2] == [
        "influx down",
        "warning about Needle",
    ]
    assert [e.message for e in ring.query(LogQuery(engine="api", level="WARNING"))] == [
        "warning about Needle"
    ]
    assert [e.message for e in ring.query(LogQuery(text="needle"))] == ["warning about Needle"]
    assert ring.query(LogQuery(since=time.time() + 60)) == []
    assert len(ring.query(LogQuery(limit=2))) == 2


def test_engine_names_from_logger_names() -> None:
    assert engine_for_logger("core.ha.simulator.server") == "simulator"
    assert engine_for_logger("core.ha.client") == "ha_client"
    assert engine_for_logger("core.store.writer") == "sqlite"
    assert engine_for_logger("core.influxx") == "core.influxx"
    assert engine_for_logger("websockets.client") == "websockets.client"


def test_correlation_scope_nests_and_restores() -> None:
    assert get_correlation_id() is None
    with correlation_scope("outer"):
        with correlation_scope() as inner:
            assert get_correlation_id() == inner != "outer"
        assert get_correlation_id() == "outer"
    assert get_correlation_id() is None


async def test_lines_from_worker_threads_are_published_on_the_loop(logging_setup: Any) -> None:
    ring, _bus, _path, published = logging_setup
    logging.getLogger("core.alerts").info("from the loop")  # the handler learns the loop here
    threads: list[int] = []

    def worker() -> None:
        threads.append(threading.get_ident())
        logging.getLogger("core.store.readers").info("from a worker thread")

    await asyncio.to_thread(worker)
    for _ in range(100):
        if any(p["message"] == "from a worker thread" for p in published):
            break
        await asyncio.sleep(0.01)
    messages = [p["message"] for p in published]
    assert "from the loop" in messages and "from a worker thread" in messages
    assert threads and threads[0] != threading.get_ident()
    assert ring.query(LogQuery(text="worker thread"))


def test_setup_twice_does_not_duplicate_lines(tmp_path: Path) -> None:
    try:
        setup_logging(LoggingConfig(log_dir=str(tmp_path)))
        ring = setup_logging(LoggingConfig(log_dir=str(tmp_path)))
        logging.getLogger("core.api").warning("once")
        assert len(ring.query(LogQuery(text="once"))) == 1
        assert sum("once" in line for line in (tmp_path / LOG_FILE).read_text().splitlines()) == 1
    finally:
        shutdown_logging()
