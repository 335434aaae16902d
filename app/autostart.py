"""Start with the desktop session: an XDG autostart entry (~/.config/autostart/ha-ingestor.desktop),
either the normal window ("Start when I log in") or the kiosk ("Start in kiosk mode when I log in").

The path is injectable so tests never touch the real home directory.
"""

from __future__ import annotations

import os
import shlex
import sys
from enum import StrEnum
from pathlib import Path

ENTRY_NAME = "ha-ingestor.desktop"
MAIN = Path(__file__).resolve().parent.parent / "main.py"
PACKAGED_LAUNCHER = Path("/usr/bin/ha-ingestor")  # the .deb's command (a link into /opt/ha-ingestor)


class LoginStart(StrEnum):
    OFF = "off"
    WINDOW = "window"
    KIOSK = "kiosk"


def wanted(autostart: bool, kiosk: bool) -> LoginStart:
    """The config's two switches as one choice; kiosk wins when both are on."""
    if kiosk:
        return LoginStart.KIOSK
    return LoginStart.WINDOW if autostart else LoginStart.OFF


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / ENTRY_NAME


def launch_command() -> str:
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is the app
        # Installed from the .deb: name the stable command, so the entry survives a move of the bundle.
        if PACKAGED_LAUNCHER.resolve() == Path(sys.executable).resolve():
            return str(PACKAGED_LAUNCHER)
        return shlex.quote(sys.executable)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(MAIN))}"


def entry_text(command: str, kiosk: bool = False) -> str:
    name = "HA Ingestor (kiosk)" if kiosk else "HA Ingestor"
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={name}\n"
        "Comment=Home Assistant ingestor and dashboard\n"
        f"Exec={command}{' --kiosk' if kiosk else ''}\n"
        "Icon=ha-ingestor\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def current(path: Path | None = None) -> LoginStart:
    """What the entry on disk does (an entry someone else wrote without --kiosk counts as WINDOW)."""
    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return LoginStart.OFF
    execs = [line for line in text.splitlines() if line.startswith("Exec=")]
    return LoginStart.KIOSK if any("--kiosk" in line for line in execs) else LoginStart.WINDOW


def is_enabled(path: Path | None = None) -> bool:
    return (path or default_path()).exists()


def apply(choice: LoginStart, path: Path | None = None, command: str | None = None) -> Path:
    """Write, rewrite or remove the entry so that it does `choice`; returns its path."""
    path = path or default_path()
    if choice is LoginStart.OFF:
        path.unlink(missing_ok=True)
        return path
    text = entry_text(command or launch_command(), kiosk=choice is LoginStart.KIOSK)
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def set_enabled(enabled: bool, path: Path | None = None, command: str | None = None) -> Path:
    """Create (the normal window) or remove the entry; returns its path."""
    return apply(LoginStart.WINDOW if enabled else LoginStart.OFF, path, command)
