"""TLS to Home Assistant: home_assistant.ca_cert, verify_ssl, and certificate failures in words.

The simulator really serves TLS (wss:// and https://) with certificates made by the openssl CLI at
test time (tests/tls_certs.py): a home CA, server certificates it signed, an unrelated CA, and a
self-signed certificate. No mocks: every handshake is a real one on 127.0.0.1.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.connection_check import CheckFailed, check_ha_form
from core.config import AppConfig, ConfigError, load_config
from core.ha.client import ConnState, HAClient
from core.ha.simulator import SimulatorConfig
from core.models import EventSource
from core.store.codec import SOURCE_CODES
from core.tls import ssl_context
from tests.ha_fixtures import (
    TOKEN,
    ha_config,
    ingest_stack,
    running_client,
    running_sim,
    stored_rows,
    wait_for,
)
from tests.tls_certs import KeyPair, make_ca, make_self_signed, make_server_cert

NOT_TRUSTED = "TLS certificate not trusted (self-signed or unknown CA): "
NO_CA_HINT = "set home_assistant.ca_cert to your CA's PEM file, or verify_ssl = false"


@dataclass(frozen=True)
class Certs:
    ca: KeyPair
    other_ca: KeyPair  # trusts nothing the simulator serves
    server: KeyPair  # IP:127.0.0.1, DNS:localhost, signed by ca
    elsewhere: KeyPair  # only DNS:ha.example, signed by ca
    self_signed: KeyPair  # IP:127.0.0.1, its own issuer


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    directory = tmp_path_factory.mktemp("tls")
    ca = make_ca(directory, "Home CA")
    return Certs(
        ca=ca,
        other_ca=make_ca(directory, "Other CA"),
        server=make_server_cert(directory, "server", ca, "IP:127.0.0.1,DNS:localhost"),
        elsewhere=make_server_cert(directory, "elsewhere", ca, "DNS:ha.example"),
        self_signed=make_self_signed(directory, "self-signed", "IP:127.0.0.1"),
    )


def _serving(pair: KeyPair) -> dict[str, Any]:
    return {"tls_cert": str(pair.cert), "tls_key": str(pair.key)}


def _error(result: Any) -> str:
    assert not result.ok, "the connection test should have failed"
    assert isinstance(result.error, str) and TOKEN not in result.error
    return result.error


async def test_ca_cert_connects_over_wss_and_stores_events(certs: Certs, tmp_path: Path) -> None:
    live = SOURCE_CODES[EventSource.LIVE]
    async with running_sim(rate=50, **_serving(certs.server)) as sim, ingest_stack(tmp_path) as stack:
        assert sim.url.startswith("wss://127.0.0.1:") and sim.base_url.startswith("https://")
        # The CA has no keyUsage (a plain `openssl req -x509`): Python 3.13's strict default refuses it.
        client = stack.client(ha_config(sim, ca_cert=str(certs.ca.cert)))
        await client.start()
        try:
            await wait_for(lambda: client.connection_info.synced, what="sync over wss")
            await wait_for(
                lambda: sum(source == live for *_, source in stored_rows(stack.store.path)) >= 10,
                what="live events stored",
            )
            assert client.connection_info.state == ConnState.CONNECTED
        finally:
            await client.stop()
        by_ip = await HAClient.test_connection(sim.base_url, TOKEN, 5, ca_cert=str(certs.ca.cert))
        by_name = await HAClient.test_connection(
            f"https://localhost:{sim.port}", TOKEN, 5, ca_cert=str(certs.ca.cert)
        )
    assert by_ip.ok and by_ip.entity_count == len(sim.home.entities)
    assert by_name.ok, by_name.error


async def test_unrelated_ca_or_the_system_store_is_not_trusted(certs: Certs) -> None:
    other = str(certs.other_ca.cert)
    async with running_sim(rate=5, **_serving(certs.server)) as sim:
        system = _error(await HAClient.test_connection(sim.base_url, TOKEN, 5))
        wrong_ca = _error(await HAClient.test_connection(sim.base_url, TOKEN, 5, ca_cert=other))
        with pytest.raises(CheckFailed) as shown:  # what the Configuration tab's Test button shows
            raw = {"url": sim.base_url, "token": TOKEN, "verify_ssl": True, "ca_cert": other}
            await check_ha_form(AppConfig(), raw)
        async with running_client(ha_config(sim, ca_cert=other)) as client:
            await wait_for(lambda: client.connection_info.last_error is not None, what="a failure")
            info = client.connection_info
        assert not sim.disconnect_reasons  # no WebSocket (let alone an auth frame) ever reached it
    assert system == NOT_TRUSTED + NO_CA_HINT
    assert wrong_ca.startswith(NOT_TRUSTED) and f"not issued by home_assistant.ca_cert ({other})" in wrong_ca
    assert str(shown.value) == wrong_ca
    assert info.state == ConnState.BACKING_OFF and info.last_error == wrong_ca


async def test_verify_ssl_false_connects_without_a_ca(certs: Certs) -> None:
    async with running_sim(rate=20, **_serving(certs.server)) as sim:
        result = await HAClient.test_connection(sim.base_url, TOKEN, 5, verify_ssl=False)
        async with running_client(ha_config(sim, verify_ssl=False)) as client:
            await wait_for(lambda: client.connection_info.synced, what="sync without verification")
    assert result.ok, result.error


async def test_a_self_signed_certificate_is_its_own_ca_cert(certs: Certs) -> None:
    async with running_sim(rate=5, **_serving(certs.self_signed)) as sim:
        trusted = await HAClient.test_connection(sim.url, TOKEN, 5, ca_cert=str(certs.self_signed.cert))
        untrusted = _error(await HAClient.test_connection(sim.url, TOKEN, 5))
    assert trusted.ok, trusted.error
    assert untrusted == NOT_TRUSTED + NO_CA_HINT


async def test_hostname_mismatch_names_the_certificates_names(certs: Certs) -> None:
    ca = str(certs.ca.cert)
    async with running_sim(rate=5, **_serving(certs.elsewhere)) as sim:
        by_ip = _error(await HAClient.test_connection(sim.base_url, TOKEN, 5, ca_cert=ca))
        by_name = _error(
            await HAClient.test_connection(f"https://localhost:{sim.port}", TOKEN, 5, ca_cert=ca)
        )
    assert by_ip.startswith("TLS certificate is for ha.example, not 127.0.0.1: ")
    assert by_name.startswith("TLS certificate is for ha.example, not localhost: ")


async def test_an_unreadable_ca_cert_at_connect_time_names_the_key(tmp_path: Path, certs: Certs) -> None:
    """The Test button runs on unvalidated form values; a file may also vanish after loading."""
    missing, not_pem = tmp_path / "gone.pem", tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    async with running_sim(rate=5, **_serving(certs.server)) as sim:
        gone = _error(await HAClient.test_connection(sim.url, TOKEN, 5, ca_cert=str(missing)))
        junk = _error(await HAClient.test_connection(sim.url, TOKEN, 5, ca_cert=str(not_pem)))
    assert gone == f"home_assistant.ca_cert: cannot read {missing}: No such file or directory"
    assert junk.startswith(f"home_assistant.ca_cert: {not_pem} holds no PEM certificate")


def test_a_missing_or_non_pem_ca_cert_is_a_config_error(tmp_path: Path, certs: Certs) -> None:
    def load(ca_cert: str) -> AppConfig:
        return load_config(Path(os.devnull), env={}, overrides={"home_assistant": {"ca_cert": ca_cert}})

    with pytest.raises(ConfigError) as missing:
        load(str(tmp_path / "missing.pem"))
    assert missing.value.key == "home_assistant.ca_cert" and "cannot read" in missing.value.problem
    (tmp_path / "key-only.pem").write_text(certs.ca.key.read_text())
    with pytest.raises(ConfigError) as not_a_cert:
        load(str(tmp_path / "key-only.pem"))
    assert (
        not_a_cert.value.key == "home_assistant.ca_cert" and "no PEM certificate" in not_a_cert.value.problem
    )
    toml = tmp_path / "config.toml"
    toml.write_text(f'[home_assistant]\nca_cert = "{certs.ca.cert}"\n')
    assert load_config(toml, env={}).home_assistant.ca_cert == str(certs.ca.cert)
    assert load("").home_assistant.ca_cert == ""


def test_one_context_policy_for_every_scheme(certs: Certs) -> None:
    assert ssl_context("ws://ha.local:8123/api/websocket", ca_cert=str(certs.ca.cert)) is None
    assert ssl_context("http://ha.local:8123", verify_ssl=False) is None
    default = ssl_context("wss://ha.local/api/websocket")
    off = ssl_context("wss://ha.local/api/websocket", verify_ssl=False)
    pinned = ssl_context("wss://ha.local/api/websocket", verify_ssl=False, ca_cert=str(certs.ca.cert))
    assert default is not None and default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    assert off is not None and off.verify_mode == ssl.CERT_NONE and not off.check_hostname
    assert pinned is not None and pinned.verify_mode == ssl.CERT_REQUIRED and pinned.check_hostname
    assert pinned.cert_store_stats()["x509_ca"] == 1  # exactly the user's CA, not the system store


def test_simulator_tls_needs_both_files(certs: Certs) -> None:
    with pytest.raises(ValueError, match="together"):
        SimulatorConfig(tls_cert=str(certs.server.cert))
    assert SimulatorConfig(**_serving(certs.server)).tls and not SimulatorConfig().tls


async def test_https_to_a_plain_port_says_to_use_http() -> None:
    """A common slip: https:// typed for an HA that serves plain HTTP."""
    async with running_sim(rate=5) as sim:
        tls_url = sim.base_url.replace("http://", "https://")
        error = _error(await HAClient.test_connection(tls_url, TOKEN, 5))
    assert "does not speak TLS on that port: use http://" in error
