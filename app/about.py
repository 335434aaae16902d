"""The About box: the version (the one in pyproject.toml), and where this install keeps its config,
data and logs (what a person needs before deleting or moving them)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from core.config import AppConfig, default_config_path, default_log_dir
from core.version import version

TITLE = "About HA Ingestor"


def about_text(config: AppConfig) -> str:
    config_path = Path(config.source_path) if config.source_path else default_config_path()
    logs = Path(config.logging.log_dir).expanduser() if config.logging.log_dir else default_log_dir()
    return (
        f"<b>HA Ingestor {version()}</b><br>"
        "Records every Home Assistant event and shows it on a live dashboard.<br><br>"
        f"config: {config_path}<br>"
        f"data: {config.storage.resolved_data_dir()}<br>"
        f"logs: {logs}"
    )


def show_about(parent: QWidget | None, config: AppConfig) -> QMessageBox:
    """Non-modal (open, not exec), so the dashboard keeps updating behind it."""
    box = QMessageBox(QMessageBox.Icon.Information, TITLE, about_text(config), parent=parent)
    box.setObjectName("about")
    box.open()
    return box
