"""First run: "Connect to Home Assistant" (URL, token, a Test that really connects) or "Explore the demo
home" (the built-in simulator). Shown with open(), never exec(): the result arrives as `chosen`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import conn_test
from app.controller import Controller
from app.widgets import ui
from app.widgets.cards import Card
from core.config import AppConfig, ConfigError


class SetupDialog(QDialog):
    chosen = Signal(object)  # the AppConfig to save and run

    def __init__(self, config: AppConfig, controller: Controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = config
        self.controller = controller
        self.setWindowTitle("Welcome to HA Ingestor")
        self.setMinimumWidth(640)
        self.url = QLineEdit(config.home_assistant.url, placeholderText="http://homeassistant.local:8123")
        self.token = QLineEdit(
            echoMode=QLineEdit.EchoMode.Password, placeholderText="long-lived access token"
        )
        self.message = ui.label(wrap=True, name="muted")
        self.test_button = QPushButton("Test")
        self.connect_button = ui.button("Connect", "primary")
        self.demo_button = QPushButton("Explore the demo home")
        self.test_button.clicked.connect(self.test)
        self.connect_button.clicked.connect(self.choose_home_assistant)
        self.demo_button.clicked.connect(self.choose_demo)
        self._setup_ui()

    def _setup_ui(self) -> None:
        ha = Card("Connect to Home Assistant")
        form = QFormLayout()
        form.addRow("URL", self.url)
        form.addRow("Access token", self.token)
        ha.body.addLayout(form)
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

    def test(self) -> None:
        self.message.setText("connecting…")
        self.test_button.setEnabled(False)
        self.controller.submit(
            conn_test.check_home_assistant(self.url.text().strip(), self.token.text().strip()),
            self._on_tested,
            lambda err: self._on_tested(f"failed: {err}"),
        )

    def _on_tested(self, text: str) -> None:
        self.test_button.setEnabled(True)
        self.message.setText(text)

    def choose_home_assistant(self) -> None:
        ha = replace(self.config.home_assistant, url=self.url.text().strip(), token=self.token.text().strip())
        problem = _url_problem(ha.url) or ("" if ha.token else "the access token is empty")
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


def _url_problem(url: str) -> str:
    """core.config's URL check for home_assistant.url (an empty URL would mean the demo home)."""
    if not url:
        return "the URL is empty"
    from app.config_form import validate

    try:
        validate({"home_assistant": {"url": url}}, AppConfig())
    except ConfigError as err:
        return err.problem
    return ""


def needs_setup(config: AppConfig, args: Any) -> bool:
    """First run: setup not done and no HA URL, and not forced into the demo or screenshots."""
    if getattr(args, "demo", False) or getattr(args, "screenshots", None):
        return False
    return not config.ui.setup_done and not config.home_assistant.url
