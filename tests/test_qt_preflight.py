"""Before Qt starts: a platform plugin whose libraries are missing is named in one line with the
apt-get command, instead of Qt's abort. The plugin here is PySide6's real one; the "missing library"
is a copy of it whose NEEDED entry was renamed to a library no system has."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import qt_preflight
from app.qt_preflight import PreflightResult, check, chosen_platform, plugins_dir, prepare

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux loader")


def _real_plugins() -> Path:
    folder = plugins_dir()
    assert folder is not None and (folder / "libqxcb.so").is_file()
    return folder


def _plugins_with_a_missing_library(tmp_path: Path) -> Path:
    """tmp/Qt/plugins/platforms/libqxcb.so needing 'libxcb-cursoz.so.0'; tmp/Qt/lib is PySide6's
    (the plugin finds Qt through its RUNPATH, $ORIGIN/../../lib)."""
    real = _real_plugins()
    qt = tmp_path / "Qt"
    (qt / "plugins" / "platforms").mkdir(parents=True)
    (qt / "lib").symlink_to(real.parent.parent / "lib")
    data = (real / "libqxcb.so").read_bytes()
    assert b"libxcb-cursor.so.0\0" in data
    patched = data.replace(b"libxcb-cursor.so.0\0", b"libxcb-cursoz.so.0\0")
    (qt / "plugins" / "platforms" / "libqxcb.so").write_bytes(patched)
    return qt / "plugins" / "platforms"


def test_the_platform_qt_will_load() -> None:
    assert chosen_platform({}) == "xcb"
    assert chosen_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert chosen_platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"


def test_a_missing_library_is_named(tmp_path: Path) -> None:
    folder = _plugins_with_a_missing_library(tmp_path)
    result = check({"DISPLAY": ":0"}, folder)
    assert result is not None and not result.ok
    assert result.missing == ("libxcb-cursoz.so.0",)
    line = result.message()
    assert "\n" not in line and "libxcb-cursoz.so.0" in line and "--headless" in line


def test_the_message_names_the_apt_get_command() -> None:
    result = PreflightResult("xcb", Path("/x/libqxcb.so"), ("libxcb-cursor.so.0", "libxcb-icccm.so.4"))
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4;" in result.message()


def test_the_installed_pyside6_plugins_load_here() -> None:
    """What the suite itself runs on (offscreen), and what `make system-deps` provides (xcb)."""
    offscreen = check({"QT_QPA_PLATFORM": "offscreen"})
    assert offscreen is not None and offscreen.ok, offscreen
    xcb = check({"QT_QPA_PLATFORM": "xcb"})
    assert xcb is not None and xcb.ok, xcb.message() if xcb else None


def test_a_plugin_this_install_lacks_falls_back_to_xcb(tmp_path: Path) -> None:
    env = {"QT_QPA_PLATFORM": "nosuchplatform", "DISPLAY": ":0"}
    result = prepare(env, _real_plugins())
    assert env["QT_QPA_PLATFORM"] == "xcb"
    assert result is not None and result.platform == "xcb"


def test_without_ldd_the_first_missing_library_comes_from_dlopen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _plugins_with_a_missing_library(tmp_path)
    monkeypatch.setattr("shutil.which", lambda _name: None)
    assert qt_preflight.missing_libraries(folder / "libqxcb.so") == ("libxcb-cursoz.so.0",)


def test_main_exits_2_with_one_line_or_runs_headless(tmp_path: Path) -> None:
    """The whole start: `main.py` with a plugin folder that lacks a library (a sitecustomize points
    the preflight at it), plain and with --headless-fallback."""
    folder = _plugins_with_a_missing_library(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "from pathlib import Path\nimport app.qt_preflight as p\n"
        f"p.plugins_dir = lambda: Path({str(folder)!r})\n"
    )
    env = dict(os.environ, DISPLAY=":0", PYTHONPATH=f"{site}{os.pathsep}{ROOT}")
    env.pop("QT_QPA_PLATFORM", None)
    base = [sys.executable, "main.py", "--data-dir", str(tmp_path / "data")]
    plain = subprocess.run(base, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert plain.returncode == 2
    assert plain.stderr.count("\n") == 1 and "libxcb-cursoz.so.0" in plain.stderr
    fallback = subprocess.run(
        [*base, "--demo", "--headless-fallback", "--duration", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert fallback.returncode == 0, fallback.stderr
    assert "running headless (--headless-fallback)" in fallback.stderr
