"""Path keys in the Configuration tab have a Browse… button; the choice is validated by core on Apply.

Async tests run on the qasync loop (docs/stack-notes.md §3, pattern A): the file dialog is non-modal (open()),
so clicking Browse returns at once and the test drives the dialog like a user would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gui_conftest import wait_until
from tests.tls_certs import make_ca

pytestmark = pytest.mark.gui


async def choose_file(field: Any, path: Path) -> None:
    field.browse_button.click()  # returns at once: open(), not a nested event loop
    dialog = field.file_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(path))
    dialog.accept()
    await wait_until(lambda: field.edit.text() == str(path))


async def test_browse_fills_ca_cert_and_apply_uses_it(gui_app: Any, tmp_path: Path) -> None:
    ca = make_ca(tmp_path, "Home CA")
    async with gui_app() as session:
        tab = session.window.show_tab("configuration")
        field = tab.form.paths[("home_assistant", "ca_cert")]
        assert ("storage", "data_dir") in tab.form.paths and ("logging", "log_dir") in tab.form.paths
        await choose_file(field, ca.cert)
        config = tab.form.build_config()  # validated by core.config: the PEM file loads
        assert config.home_assistant.ca_cert == str(ca.cert)


async def test_a_file_that_is_no_certificate_is_refused_by_core(gui_app: Any, tmp_path: Path) -> None:
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    async with gui_app() as session:
        tab = session.window.show_tab("configuration")
        await choose_file(tab.form.paths[("home_assistant", "ca_cert")], not_pem)
        tab.buttons["apply"].click()
        shown = await wait_until(lambda: tab.status.text() if "ca_cert" in tab.status.text() else None)
        assert "holds no PEM certificate" in shown
        assert session.runtime.config.home_assistant.ca_cert == ""  # nothing applied
