"""Start with the desktop session: an XDG autostart entry (~/.config/autostart/ha-ingestor.desktop).

The path is injectable so tests never touch the real home directory.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

ENTRY_NAME = "ha-ingestor.desktop"
MAIN = Path(__file__).resolve().parent.parent / "main.py"


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / ENTRY_NAME


def launch_command() -> str:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is the app
        return shlex.quote(sys.executable)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(MAIN))}"


def entry_text(command: str) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=HA Ingestor\n"
        "Comment=Home Assistant ingestor and dashboard\n"
        f"Exec={command}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(path: Path | None = None) -> bool:
    return (path or default_path()).exists()


def set_enabled(enabled: bool, path: Path | None = None, command: str | None = None) -> Path:
    """Create or remove the entry; returns its path. Only Linux/XDG desktops read it."""
    path = path or default_path()
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry_text(command or launch_command()), encoding="utf-8")
    elif path.exists():
        path.unlink()
    return path
