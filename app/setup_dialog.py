"""First run: "Connect to Home Assistant" (URL, token, a Test that really connects) or "Explore the demo
home" (the built-in simulator). Shown with open(), never exec(): the result arrives as `chosen`.

For https:// and wss:// URLs a TLS row offers home_assistant.ca_cert (a PEM file, with a Browse…
file dialog) and verify_ssl. Both dialogs are shown with open() and answer through signals: a nested
event loop (exec(), a static QFileDialog.getOpenFileName) inside the qasync loop can lose tasks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import connection_check
from app.controller import Controller
from app.widgets import ui
from app.widgets.cards import Card
from app.widgets.path_field import PEM_FILTER, PathField
from core.config import AppConfig, ConfigError, HomeAssistantConfig

TLS_SCHEMES = ("https", "wss")
NO_VERIFY_WARNING = "Not verified: anyone on the network could pose as Home Assistant."


class SetupDialog(QDialog):
    chosen = Signal(object)  # the AppConfig to save and run

    def __init__(self, config: AppConfig, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.controller = controller
        self.setWindowTitle("Welcome to HA Ingestor")
        self.setMinimumWidth(640)
        ha = config.home_assistant
        self.url = QLineEdit(ha.url, placeholderText="http://homeassistant.local:8123")
        self.token = QLineEdit(
            echoMode=QLineEdit.EchoMode.Password, placeholderText="long-lived access token"
        )
        self.ca_cert = QLineEdit(ha.ca_cert, placeholderText="CA certificate (PEM), optional")
        self.ca_cert.setAccessibleName("CA certificate")
        self.ca_cert.setToolTip(
            "The PEM file of the CA that signed Home Assistant's certificate, or that certificate itself "
            "if it is self-signed. Empty: the system's trusted CAs (enough for Let's Encrypt)."
        )
        self.ca_cert_field = PathField(self.ca_cert, "CA certificate (PEM)", name_filter=PEM_FILTER)
        self.browse_button = self.ca_cert_field.browse_button
        self.verify_ssl = QCheckBox("Verify certificate")
        self.verify_ssl.setChecked(ha.verify_ssl)
        self.tls_warning = ui.label(NO_VERIFY_WARNING, name="errorText", wrap=True)
        self.message = ui.label(wrap=True, name="muted")
        self.test_button = QPushButton("Test")
        self.connect_button = ui.button("Connect", "primary")
        self.demo_button = QPushButton("Explore the demo home")
        self._connect_signals()
        self._setup_ui()
        self._update_tls_row()
        self._update_verify()

    def _connect_signals(self) -> None:
        self.url.textChanged.connect(self._update_tls_row)
        self.verify_ssl.toggled.connect(self._update_verify)
        self.test_button.clicked.connect(self.test)
        self.connect_button.clicked.connect(self.choose_home_assistant)
        self.demo_button.clicked.connect(self.choose_demo)

    def _setup_ui(self) -> None:
        ha = Card("Connect to Home Assistant")
        self.form = QFormLayout()
        self.form.addRow("URL", self.url)
        self.form.addRow("Access token", self.token)
        self.form.addRow("TLS", self._tls_row())
        ha.body.addLayout(self.form)
        hint = QLabel("Create a token in Home Assistant: your profile → Security → Long-lived access tokens.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        ha.body.addWidget(hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        ha.body.addLayout(buttons)
        ha.body.addWidget(self.message)
        demo = Card("Explore the demo home")
        text = QLabel("A simulated home with about 120 entities runs inside the app; switch to a real Home "
                      "Assistant later in Configuration.", wordWrap=True)  # fmt: skip
        demo.body.addWidget(text)
        demo.body.addWidget(self.demo_button)
        layout = QVBoxLayout(self)
        layout.addWidget(ui.label("How do you want to start?", name="stateTitle"))
        layout.addWidget(ha)
        layout.addWidget(demo)

    def _tls_row(self) -> QWidget:
        """CA file, Browse…, Verify on one line; the no-verify warning under it."""
        self.tls_row = QWidget()
        column = QVBoxLayout(self.tls_row)
        column.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        line.addWidget(self.ca_cert_field, 1)
        line.addWidget(self.verify_ssl)
        column.addLayout(line)
        column.addWidget(self.tls_warning)
        return self.tls_row

    def uses_tls(self) -> bool:
        return urlsplit(self.url.text().strip()).scheme.lower() in TLS_SCHEMES

    def _update_tls_row(self) -> None:
        shown = self.uses_tls()
        if shown != self.form.isRowVisible(self.tls_row):
            self.form.setRowVisible(self.tls_row, shown)
            self._fit()

    def _update_verify(self) -> None:
        """Unchecked: nothing is verified, so a CA file would not apply (core lets ca_cert win)."""
        verify = self.verify_ssl.isChecked()
        self.ca_cert.setEnabled(verify)
        self.browse_button.setEnabled(verify)
        self.tls_warning.setVisible(not verify)
        self._fit()

    def _fit(self) -> None:
        """Grow or shrink to the rows now shown, keeping the width (word-wrapped labels). The layouts
        from the TLS row's up are redone now, inner first (else the dialog sees the old height)."""
        widget: QWidget | None = self.tls_row
        while widget is not None and widget is not self.parentWidget():
            if (layout := widget.layout()) is not None:
                layout.activate()
            widget = widget.parentWidget()
        height = self.heightForWidth(self.width())
        if height > 0:
            self.resize(self.width(), height)

    @property
    def file_dialog(self) -> QFileDialog | None:
        return self.ca_cert_field.file_dialog

    def tls_values(self) -> tuple[bool, str]:
        """(verify_ssl, ca_cert) as typed; an unchecked Verify drops the CA file (it would win in core)."""
        verify = self.verify_ssl.isChecked()
        return verify, self.ca_cert.text().strip() if verify else ""

    def test(self) -> None:
        self.message.setText("connecting…")
        self.test_button.setEnabled(False)
        url, token = self.url.text().strip(), self.token.text().strip()
        verify_ssl, ca_cert = self.tls_values() if self.uses_tls() else (True, "")
        self.controller.submit(
            connection_check.check_home_assistant(url, token, verify_ssl, ca_cert),
            self._on_tested,
            lambda err: self._on_tested(f"failed: {err}"),
        )

    def _on_tested(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.message.setText(text)

    def choose_home_assistant(self) -> None:
        ha = replace(self.config.home_assistant, url=self.url.text().strip(), token=self.token.text().strip())
        if self.uses_tls():
            verify_ssl, ca_cert = self.tls_values()
            ha = replace(ha, verify_ssl=verify_ssl, ca_cert=ca_cert)
        problem = _config_problem(ha) or ("" if ha.token else "the access token is empty")
        if problem:
            self.message.setText(problem)
            return
        self._choose(replace(self.config, home_assistant=ha))

    def choose_demo(self) -> None:
        self._choose(
            replace(self.config, home_assistant=replace(self.config.home_assistant, url="", token=""))
        )

    def _choose(self, config: AppConfig) -> None:
        self.chosen.emit(replace(config, ui=replace(config.ui, setup_done=True)))
        self.accept()


def _config_problem(ha: HomeAssistantConfig) -> str:
    """core.config's checks of url, verify_ssl and ca_cert (an empty URL would mean the demo home)."""
    if not ha.url:
        return "the URL is empty"
    from app.config_form import validate

    raw = {"url": ha.url, "verify_ssl": ha.verify_ssl, "ca_cert": ha.ca_cert}
    try:
        validate({"home_assistant": raw}, AppConfig())
    except ConfigError as err:
        return err.problem
    return ""


def needs_setup(config: AppConfig, args: Any) -> bool:
    """First run: setup not done and no HA URL, and not forced into the demo or screenshots."""
    if getattr(args, "demo", False) or getattr(args, "screenshots", None):
        return False
    return not config.ui.setup_done and not config.home_assistant.url
