"""Auth: the key decision as a pure function of the bound address, constant-time key checks, key
files, and live servers on loopback and on all interfaces (0.0.0.0); CORS."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.api.auth import authorize, bearer_token, data_key_required, is_loopback
from core.api.spec import Access
from core.api.validation import ApiError
from core.config import ApiConfig, AppConfig
from core.keys import ApiKeys, ensure_keys, keys_path, show_keys
from tests.api_live import LiveRuntime, start_live

KEYS = ApiKeys("data-key-123456", "admin-key-654321")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("homeassistant.local", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_data_key_required_unless_every_bound_address_is_loopback() -> None:
    assert not data_key_required(["127.0.0.1"])
    assert not data_key_required(["127.0.0.1", "::1"])
    assert data_key_required(["0.0.0.0"])
    assert data_key_required(["127.0.0.1", "192.168.1.20"])
    assert data_key_required([])


@pytest.mark.parametrize(
    ("access", "header", "required", "status"),
    [
        (Access.PUBLIC, None, True, None),
        (Access.DATA, None, False, None),
        (Access.DATA, None, True, 401),
        (Access.DATA, "Bearer data-key-123456", True, None),
        (Access.DATA, "bearer admin-key-654321", True, None),
        (Access.DATA, "Bearer wrong", True, 401),
        (Access.DATA, "Basic data-key-123456", True, 401),
        (Access.ADMIN, None, False, 401),
        (Access.ADMIN, "Bearer data-key-123456", False, 403),
        (Access.ADMIN, "Bearer admin-key-654321", False, None),
        (Access.ADMIN, "Bearer admin-key-65432", False, 401),
        (Access.ADMIN, "Bearer ", False, 401),
    ],
)
def test_authorize(access: Access, header: str | None, required: bool, status: int | None) -> None:
    if status is None:
        authorize(access, header, KEYS, required)
        return
    with pytest.raises(ApiError) as info:
        authorize(access, header, KEYS, required)
    assert info.value.status == status


def test_bearer_token_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("  bearer   abc  ") == "abc"
    assert bearer_token("Token abc") is None
    assert bearer_token(None) is None


# -- keys -----------------------------------------------------------------------------------------


def config_in(tmp_path: Path, **api: str) -> AppConfig:
    return AppConfig(api=ApiConfig(**api), source_path=str(tmp_path / "config.toml"))  # type: ignore[arg-type]


def test_keys_are_generated_once_with_0600(tmp_path: Path) -> None:
    config = config_in(tmp_path)
    first = ensure_keys(config)
    path = keys_path(config)
    assert path.parent == tmp_path and first.api_key != first.admin_api_key and len(first.api_key) >= 40
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_keys(config) == first


def test_keys_from_the_config_win(tmp_path: Path) -> None:
    config = config_in(tmp_path, api_key="my-own-data-key", admin_api_key="my-own-admin-key")
    keys = ensure_keys(config)
    assert (keys.api_key, keys.admin_api_key) == ("my-own-data-key", "my-own-admin-key")
    assert not keys_path(config).exists()  # nothing generated that would never be used
    one = ensure_keys(config_in(tmp_path, api_key="my-own-data-key"))
    assert one.api_key == "my-own-data-key" and one.admin_api_key != "my-own-admin-key"


def test_show_keys_prints_both_and_registers_them_as_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_in(tmp_path)
    text = show_keys(config)
    keys = ensure_keys(config)
    assert keys.api_key in text and keys.admin_api_key in text and str(keys_path(config)) in text
    with caplog.at_level(logging.INFO):
        logging.getLogger("core.test").info("leaking %s", keys.admin_api_key)
    assert keys.admin_api_key not in caplog.text and "********" in caplog.text
    assert "api_key" not in repr(keys) or keys.api_key not in repr(keys)


# -- live: loopback -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    rt = start_live(tmp_path_factory.mktemp("auth_loopback"), rate=20.0)
    try:
        yield rt
    finally:
        rt.stop()


def test_loopback_data_is_open_and_admin_needs_the_admin_key(loopback: LiveRuntime) -> None:
    assert not loopback.api.key_required
    assert loopback.get("/api/v1/events", limit=1).status_code == 200
    assert loopback.get("/metrics").status_code == 200
    denied = loopback.get("/api/v1/health/services")
    assert denied.status_code == 401 and denied.json()["error"] == "unauthorized"
    assert denied.headers["WWW-Authenticate"].startswith("Bearer")
    forbidden = loopback.get("/api/v1/health/services", loopback.api_key)
    assert forbidden.status_code == 403 and forbidden.json()["error"] == "forbidden"
    assert loopback.get("/api/v1/alerts", "not-a-key").status_code == 401
    assert loopback.get("/api/v1/health/services", loopback.admin_key).status_code == 200


def test_no_endpoint_returns_a_key(loopback: LiveRuntime) -> None:
    for path in ("/health", "/api/v1/health", "/api/openapi.json", "/metrics"):
        text = loopback.get(path).text
        assert loopback.api_key not in text and loopback.admin_key not in text, path
    for path in (
        "/api/v1/health/services",
        "/api/v1/stats",
        "/api/v1/monitoring/logs",
        "/api/v1/health/dependencies",
    ):
        text = loopback.admin_get(path).text
        assert loopback.api_key not in text and loopback.admin_key not in text, path


# -- live: all interfaces -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    tmp = tmp_path_factory.mktemp("auth_exposed")
    rt = start_live(tmp, host="0.0.0.0", rate=20.0, cors_origins=["https://grafana.example"])
    try:
        yield rt
    finally:
        rt.stop()


def test_non_loopback_requires_the_api_key_for_data_ha_and_metrics(exposed: LiveRuntime) -> None:
    assert exposed.api.key_required
    for path in ("/api/v1/events", "/api/devices", "/metrics", "/api/v1/analytics/realtime"):
        assert exposed.get(path).status_code == 401, path
        assert exposed.get(path, exposed.api_key).status_code == 200, path
        assert exposed.get(path, exposed.admin_key).status_code == 200, path
    for path in ("/health", "/api/v1/health", "/api/openapi.json"):
        assert exposed.get(path).status_code == 200, path
    doc = exposed.get("/api/openapi.json").json()
    assert doc["paths"]["/api/v1/events"]["get"]["security"] == [{"apiKey": []}, {"adminKey": []}]


def test_cors_only_for_configured_origins(exposed: LiveRuntime) -> None:
    allowed = {"Origin": "https://grafana.example"}
    preflight = exposed.session.options(
        exposed.base_url + "/api/v1/events",
        headers={**allowed, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://grafana.example"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    get = exposed.session.get(exposed.base_url + "/api/v1/health", headers=allowed, timeout=10)
    assert get.headers["Access-Control-Allow-Origin"] == "https://grafana.example"
    other = exposed.session.get(
        exposed.base_url + "/api/v1/health", headers={"Origin": "https://evil"}, timeout=10
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def test_open_health_routes_show_status_only_without_a_key(exposed: LiveRuntime) -> None:
    """Beyond loopback the open health routes answer anyone, but a stranger sees no SQLite path,
    HA version or entity count; a key holder sees everything."""
    exposed.wait_until(lambda: exposed.stored() > 0, "the first stored event")
    data_dir = str(exposed.runtime.data_dir)
    for path in ("/health", "/api/v1/health"):
        bare = exposed.get(path)
        assert bare.status_code == 200 and bare.json()["status"] in ("healthy", "degraded", "unhealthy")
        assert set(bare.json()) <= {"status", "service", "timestamp"}, path
        assert data_dir not in bare.text and "entities" not in bare.text, path
    full = exposed.get("/api/v1/health", exposed.api_key).json()
    assert "dependencies" in full and data_dir in str(full["dependencies"])
    assert "engines" in exposed.get("/health", exposed.admin_key).json()
