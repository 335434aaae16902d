"""Before Qt starts: can its platform plugin load? If not, say which system libraries are missing and
the apt-get command that installs them, instead of Qt's "could not load the Qt platform plugin" abort.

It never imports PySide6 (that is the point: it runs before Qt is loaded). It asks `ldd` about the
platform plugin Qt is going to load; `ldd` resolves the whole dependency tree the way the loader
will (the bundle's own libraries included, through the RUNPATH and the bootloader's
LD_LIBRARY_PATH). Without `ldd` it dlopens the plugin, which names the first missing library.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LDD_TIMEOUT_S = 15
# The Debian/Ubuntu package of each library Qt's platform plugins (xcb, offscreen) may lack.
PACKAGES: dict[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_DLERROR = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


@dataclass(frozen=True)
class PreflightResult:
    platform: str
    plugin: Path | None  # None: the plugin file itself is not there
    missing: tuple[str, ...]  # sonames the loader cannot find

    @property
    def ok(self) -> bool:
        return self.plugin is not None and not self.missing

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(PACKAGES[m] for m in self.missing if m in PACKAGES))

    def message(self) -> str:
        """One line: what is missing and the exact command that installs it."""
        if self.plugin is None:
            return f"the Qt platform plugin '{self.platform}' is not part of this installation"
        libs = ", ".join(self.missing)
        text = f"the graphical session cannot start: Qt's {self.platform} platform plugin needs {libs}"
        unknown = [m for m in self.missing if m not in PACKAGES]
        if self.packages:
            text += f"; install with: sudo apt-get install {' '.join(self.packages)}"
        if unknown:
            text += f" (find the package of {', '.join(unknown)} with: apt-file search <name>)"
        return text + "; or start with --headless"


def chosen_platform(env: Mapping[str, str]) -> str:
    """The plugin Qt will load: QT_QPA_PLATFORM's first choice, else xcb (X11, or XWayland)."""
    wanted = env.get("QT_QPA_PLATFORM", "").strip()
    if wanted:
        return re.split(r"[;:]", wanted, maxsplit=1)[0] or "xcb"
    return "xcb"


def plugins_dir() -> Path | None:
    """PySide6's Qt/plugins/platforms, in a bundle (sys._MEIPASS) or an installed PySide6."""
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        return Path(meipass) / "PySide6" / "Qt" / "plugins" / "platforms"
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms"


def missing_libraries(plugin: Path) -> tuple[str, ...]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return _first_missing_by_dlopen(plugin)
    try:
        result = subprocess.run(
            [ldd, str(plugin)],
            capture_output=True,
            text=True,
            timeout=LDD_TIMEOUT_S,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return _first_missing_by_dlopen(plugin)
    return tuple(dict.fromkeys(_NOT_FOUND.findall(result.stdout)))


def _first_missing_by_dlopen(plugin: Path) -> tuple[str, ...]:
    try:
        ctypes.CDLL(str(plugin))
    except OSError as err:
        found = _DLERROR.search(str(err))
        return (found.group(1),) if found else (str(err),)
    return ()


def check(env: Mapping[str, str] | None = None, plugins: Path | None = None) -> PreflightResult | None:
    """None when there is nothing to check (not Linux, or no PySide6 found); else the result."""
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if env is None else env
    platform = chosen_platform(env)
    folder = plugins or plugins_dir()
    if folder is None:
        return None
    plugin = folder / f"libq{platform}.so"
    if not plugin.is_file():
        return PreflightResult(platform, None, ())
    return PreflightResult(platform, plugin, missing_libraries(plugin))


def prepare(env: dict[str, str] | None = None, plugins: Path | None = None) -> PreflightResult | None:
    """`check`, but a session that asks for a plugin this install lacks (QT_QPA_PLATFORM=wayland in a
    bundle without Wayland) while X11 or XWayland is there is switched to xcb, as Qt's own fallback
    list would do, instead of failing."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    assert env is not None
    result = check(env, plugins)
    if result is not None and result.plugin is None and env.get("DISPLAY") and result.platform != "xcb":
        env["QT_QPA_PLATFORM"] = "xcb"
        result = check(env, plugins)
    return result
