"""Packaging: `main.py --selftest` from source, the Linux install script against a stand-in bundle
(both fast), and a real PyInstaller build whose bundled selftest must pass (slow, ~40 s to build)."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import AppConfig
from core.selftest import gui_prerequisite_problems, run_selftest, selftest_config

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "ha_ingestor.spec"
INSTALL = ROOT / "packaging" / "install_linux.sh"
APP_SVG = ROOT / "resources" / "icons" / "app.svg"
NAME = "ha-ingestor"
SELFTEST_TIMEOUT_S = 60
BUILD_TIMEOUT_S = 280

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("bash") is None, reason="Linux install script"
)


def _env(**extra: str) -> dict[str, str]:
    # conftest already points XDG_* at a sandbox, so nothing here touches the real home directories.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def _run(
    cmd: list[str], timeout: float, *, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env, cwd=cwd)


def _assert_selftest_ok(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for line in ("selftest: simulator ok", "selftest: stored ", "selftest: api /health 200", "selftest OK"):
        assert line in result.stdout, output


# -- the selftest ------------------------------------------------------------------------------------


def test_selftest_from_source_exits_0() -> None:
    result = _run([sys.executable, "main.py", "--selftest"], SELFTEST_TIMEOUT_S, cwd=ROOT, env=_env())
    _assert_selftest_ok(result)


def test_selftest_config_touches_nothing_of_the_users(tmp_path: Path) -> None:
    user = AppConfig()
    config = selftest_config(user, tmp_path)
    assert config.use_simulator
    assert config.storage.resolved_data_dir() == tmp_path / "data"
    assert Path(config.logging.log_dir) == tmp_path / "logs"
    assert not config.influxdb.enabled
    assert (config.api.enabled, config.api.host, config.api.port) == (True, "127.0.0.1", 0)
    # Both keys set: ensure_keys never reads or writes a keys file (not even one under tmp_path).
    assert config.api.api_key and config.api.admin_api_key
    assert Path(config.source_path).parent == tmp_path


async def test_a_failing_check_prints_it_and_returns_1() -> None:
    async def fonts() -> str:
        raise RuntimeError("no fonts")

    out = io.StringIO()
    assert await run_selftest(AppConfig(), extra_checks=[fonts], out=out) == 1
    text = out.getvalue()
    assert "selftest: api /health 200" in text
    assert "selftest FAILED: fonts: RuntimeError: no fonts" in text
    assert "selftest OK" not in text


def test_gui_prerequisites_spot_a_machine_without_fonts(tmp_path: Path) -> None:
    """A bundle without system fonts shows boxes yet exits 0, so the selftest must at least warn."""
    assert "no font files" in gui_prerequisite_problems([tmp_path])
    (tmp_path / "truetype" / "dejavu").mkdir(parents=True)
    (tmp_path / "truetype" / "dejavu" / "DejaVuSans.ttf").write_bytes(b"")
    assert "no font files" not in gui_prerequisite_problems([tmp_path])


# -- the install script ------------------------------------------------------------------------------


def _fake_bundle(root: Path) -> Path:
    """What the install script needs of a bundle: the executable and the resources inside _internal."""
    bundle = root / NAME
    icons = bundle / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    shutil.copy(APP_SVG, icons / "app.svg")
    exe = bundle / NAME
    exe.write_text('#!/bin/sh\necho "selftest OK ($*)"\n')
    exe.chmod(0o755)
    return bundle


def _install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = _env(HOME=str(home))
    env.pop("XDG_DATA_HOME", None)  # the default ~/.local/share, under the fake HOME
    env.pop("HA_INGESTOR_PREFIX", None)
    return _run(["bash", str(INSTALL), *args], 120, env=env)


def _check_installed(home: Path) -> Path:
    prefix = home / ".local" / "opt" / NAME
    desktop = home / ".local" / "share" / "applications" / f"{NAME}.desktop"
    icon = home / ".local" / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    assert (prefix / NAME).is_file() and os.access(prefix / NAME, os.X_OK)
    assert (home / ".local" / "bin" / NAME).resolve() == (prefix / NAME).resolve()
    entry = dict(
        line.split("=", 1)
        for line in desktop.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert entry["Type"] == "Application" and entry["Name"] == "HA Ingestor"
    assert entry["Exec"].strip('"') == str(prefix / NAME)
    assert entry["Icon"] == str(icon)
    svg = icon.read_text()
    assert "#HEALTH#" not in svg and "<svg" in svg  # the placeholder is filled in, the repo file untouched
    assert "#HEALTH#" in APP_SVG.read_text()
    return prefix


@linux_only
def test_install_script_installs_replaces_and_uninstalls(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "dist")
    home = tmp_path / "home"
    first = _install(home, str(bundle))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "selftest OK (--selftest)" in first.stdout  # it ran the installed copy's selftest
    prefix = _check_installed(home)
    (prefix / "stale-file").write_text("from an older version")

    again = _install(home, "--no-selftest", str(bundle))
    assert again.returncode == 0, again.stdout + again.stderr
    _check_installed(home)
    assert not (prefix / "stale-file").exists()  # replaced as a whole
    assert not list(prefix.parent.glob(f"{NAME}.*"))  # no staging or old dirs left behind

    gone = _install(home, "--uninstall")
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not prefix.exists()
    assert not (home / ".local" / "bin" / NAME).exists()
    assert not (home / ".local" / "share" / "applications" / f"{NAME}.desktop").exists()


@linux_only
def test_install_script_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "dist")
    home = tmp_path / "home"
    foreign = home / ".local" / "opt" / NAME
    foreign.mkdir(parents=True)
    (foreign / "precious.txt").write_text("not ours")
    for args in ([str(bundle)], ["--uninstall"]):
        result = _install(home, *args)
        assert result.returncode != 0
        assert "not an HA Ingestor bundle" in result.stderr or "does not look like" in result.stderr
    assert (foreign / "precious.txt").read_text() == "not ours"


@linux_only
def test_install_script_without_a_bundle_says_how_to_build_one(tmp_path: Path) -> None:
    result = _install(tmp_path / "home", str(tmp_path / "nothing-here"))
    assert result.returncode != 0
    assert "make bundle" in result.stderr


# -- the real bundle ---------------------------------------------------------------------------------


def _our_modules() -> set[str]:
    names = set()
    for package in ("core", "app"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install -e '.[packaging]')")
    root = tmp_path_factory.mktemp("pyinstaller")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--distpath", str(root / "dist"), "--workpath", str(root / "build"), str(SPEC)]
    if shutil.which("nice"):  # the build is CPU-heavy; let tests running alongside go first
        cmd = ["nice", "-n", "10", *cmd]
    result = _run(cmd, BUILD_TIMEOUT_S, cwd=ROOT, env=_env())
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    yield root / "dist" / NAME
    shutil.rmtree(root, ignore_errors=True)  # ~250 MB


@pytest.mark.slow
@pytest.mark.timeout(BUILD_TIMEOUT_S + 2 * SELFTEST_TIMEOUT_S)
def test_bundle_builds_and_its_selftest_passes(bundle: Path) -> None:
    exe = bundle / NAME
    assert exe.is_file()
    assert (bundle / "_internal" / "resources" / "icons" / "app.svg").is_file()
    _assert_selftest_ok(_run([str(exe), "--selftest"], SELFTEST_TIMEOUT_S, env=_env()))

    # Every module of ours is inside (app/tabs loads its tabs by name, which analysis cannot see).
    from PyInstaller.archive.readers import CArchiveReader

    pyz = CArchiveReader(str(exe)).open_embedded_archive("PYZ.pyz")
    missing = sorted(_our_modules() - set(pyz.toc))
    assert missing == [], f"not in the bundle: {missing}"


@pytest.mark.slow
@linux_only
@pytest.mark.timeout(BUILD_TIMEOUT_S + 2 * SELFTEST_TIMEOUT_S)
def test_install_script_with_the_real_bundle(bundle: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = _install(home, str(bundle))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "selftest OK" in result.stdout
    prefix = _check_installed(home)
    assert (prefix / "_internal" / "resources" / "icons" / "app.svg").is_file()
