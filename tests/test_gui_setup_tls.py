"""First-run screen against Home Assistant behind TLS: the TLS row (CA certificate, Verify), a Test
that really handshakes with the simulator serving wss:// and https://, and what Connect saves.
Also `python -m core.ha.simulator --tls-cert FILE --tls-key FILE`.

Certificates are real ones made by the openssl CLI (tests/tls_certs.py); no mocks.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.qt_main import configure_app, run_setup
from app.setup_dialog import SetupDialog
from core.config import AppConfig, ConfigError, load_config
from core.ha.simulator import Simulator, SimulatorConfig
from core.ha.simulator.__main__ import main as simulator_main
from core.tls import trusting_only
from tests.gui_conftest import wait_until
from tests.tls_certs import KeyPair, make_ca, make_server_cert

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "right-token"
NOT_TRUSTED = "failed: TLS certificate not trusted (self-signed or unknown CA): "
NO_CA_HINT = "set home_assistant.ca_cert to your CA's PEM file, or verify_ssl = false"
HA_URL = "https://homeassistant.local:8123"


@dataclass(frozen=True)
class Certs:
    ca: KeyPair
    server: KeyPair  # IP:127.0.0.1, signed by ca


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    directory = tmp_path_factory.mktemp("tls")
    ca = make_ca(directory, "Home CA")
    return Certs(ca=ca, server=make_server_cert(directory, "server", ca, "IP:127.0.0.1,DNS:localhost"))


@asynccontextmanager
async def tls_simulator(certs: Certs) -> AsyncIterator[Simulator]:
    """Used in the test body, not as an async fixture (see running_simulator in test_gui_setup.py)."""
    server = certs.server
    sim = Simulator(
        SimulatorConfig(port=0, rate=5, token=TOKEN, tls_cert=str(server.cert), tls_key=str(server.key))
    )
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def test_tls_row_only_for_https_and_wss_urls(dialog: SetupDialog) -> None:
    for url, shown in [("http://ha:8123", False), ("ws://ha:8123", False), ("", False),
                       ("https://ha:8123", True), ("WSS://ha:8123", True)]:  # fmt: skip
        dialog.url.setText(url)
        assert dialog.tls_row.isVisibleTo(dialog) is shown, url
        assert dialog.form.isRowVisible(dialog.tls_row) is shown, url
    assert dialog.verify_ssl.isChecked() and not dialog.tls_warning.isVisibleTo(dialog)
    dialog.verify_ssl.setChecked(False)
    assert dialog.tls_warning.isVisibleTo(dialog)
    assert "could pose as Home Assistant" in dialog.tls_warning.text()
    assert not dialog.ca_cert.isEnabled() and not dialog.browse_button.isEnabled()


async def test_test_uses_the_ca_certificate_and_verify_choice(dialog: SetupDialog, certs: Certs) -> None:
    async with tls_simulator(certs) as sim:
        dialog.url.setText(sim.base_url)
        dialog.token.setText(TOKEN)
        dialog.ca_cert.setText(str(certs.ca.cert))
        entities = len(list(sim.home.states.all()))
        connected = f"connected to Home Assistant {sim.config.ha_version}, {entities} entities"
        assert await _tested(dialog) == connected
        dialog.ca_cert.clear()
        assert await _tested(dialog) == NOT_TRUSTED + NO_CA_HINT
        dialog.verify_ssl.setChecked(False)  # the user's explicit choice: no check at all
        assert await _tested(dialog) == connected


async def _tested(dialog: SetupDialog) -> str:
    dialog.test_button.click()
    await wait_until(lambda: dialog.test_button.isEnabled())
    return dialog.message.text()


async def test_browse_opens_a_non_modal_file_dialog_that_fills_the_field(
    dialog: SetupDialog, certs: Certs
) -> None:
    dialog.url.setText(HA_URL)
    dialog.show()
    dialog.browse_button.click()  # returns at once: open(), not a nested event loop
    file_dialog = dialog.file_dialog
    assert file_dialog is not None and file_dialog.isVisible()
    file_dialog.selectFile(str(certs.ca.cert))
    file_dialog.accept()
    assert await wait_until(lambda: dialog.ca_cert.text()) == str(certs.ca.cert)
    assert not file_dialog.isVisible()


async def test_connect_saves_ca_cert_to_the_config_file(qapp: Any, tmp_path: Path, certs: Certs) -> None:
    config, setup, shown = await _start_setup(qapp, tmp_path)
    _fill(shown, HA_URL, str(certs.ca.cert))
    shown.connect_button.click()
    result = await asyncio.wait_for(setup, 10)
    assert result is not None and result.home_assistant.ca_cert == str(certs.ca.cert)
    saved = tomllib.loads(await asyncio.to_thread(Path(config.source_path).read_text))
    assert saved["home_assistant"] == {"url": HA_URL, "token": "t", "ca_cert": str(certs.ca.cert)}
    loaded = load_config(Path(config.source_path), env={}).home_assistant
    assert loaded.ca_cert == str(certs.ca.cert) and loaded.verify_ssl


async def test_connect_without_verification_saves_verify_ssl_false(qapp: Any, tmp_path: Path) -> None:
    config, setup, shown = await _start_setup(qapp, tmp_path)
    _fill(shown, HA_URL, "")
    shown.verify_ssl.setChecked(False)
    shown.connect_button.click()
    assert await asyncio.wait_for(setup, 10) is not None
    saved = tomllib.loads(await asyncio.to_thread(Path(config.source_path).read_text))
    assert saved["home_assistant"] == {"url": HA_URL, "token": "t", "verify_ssl": False}


async def test_missing_ca_file_shows_core_message_and_saves_nothing(qapp: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(ConfigError) as core_error:
        load_config(Path(os.devnull), env={}, overrides={"home_assistant": {"ca_cert": missing}})
    config, setup, shown = await _start_setup(qapp, tmp_path)
    _fill(shown, HA_URL, missing)
    shown.connect_button.click()
    assert shown.message.text() == core_error.value.problem
    assert shown.isVisible() and "no-such-ca.pem" in shown.message.text()
    shown.reject()
    assert await asyncio.wait_for(setup, 10) is None
    assert not await asyncio.to_thread(Path(config.source_path).exists)


async def _start_setup(
    qapp: Any, tmp_path: Path
) -> tuple[AppConfig, asyncio.Future[AppConfig | None], SetupDialog]:
    configure_app(qapp)  # as run_gui does: closing the dialog must not quit Qt and stop the loop
    config = AppConfig(source_path=str(tmp_path / "first-run.toml"))
    setup = asyncio.ensure_future(run_setup(qapp, config))
    shown = await wait_until(lambda: next((w for w in _setup_dialogs() if w.isVisible()), None))
    return config, setup, shown


def _fill(dialog: SetupDialog, url: str, ca_cert: str) -> None:
    dialog.url.setText(url)
    dialog.token.setText("t")
    dialog.ca_cert.setText(ca_cert)


def _setup_dialogs() -> list[SetupDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, SetupDialog)]


def test_simulator_cli_serves_tls(certs: Certs) -> None:
    tls = ["--tls-cert", str(certs.server.cert), "--tls-key", str(certs.server.key)]
    command = [sys.executable, "-m", "core.ha.simulator", "--port", "0", "--token", TOKEN, *tls]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        match = re.match(r"^simulator listening on wss://(127\.0\.0\.1:\d+)/api/websocket$", line)
        assert match, line
        request = urllib.request.Request(
            f"https://{match[1]}/api/", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10, context=trusting_only(str(certs.ca.cert))) as reply:
            assert reply.status == 200
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_simulator_cli_wants_both_tls_files(certs: Certs, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, problem in [
        (["--tls-cert", str(certs.server.cert)], "--tls-cert and --tls-key must be given together"),
        (["--tls-key", str(certs.server.key)], "--tls-cert and --tls-key must be given together"),
        (["--tls-cert", str(certs.server.cert), "--tls-key", "/no/such.key"], "cannot read /no/such.key"),
        (["--tls-cert", str(certs.ca.cert), "--tls-key", str(certs.server.key)], "not a PEM certificate"),
    ]:
        assert simulator_main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ") and problem in err, err
