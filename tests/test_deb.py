"""The Debian package end to end (`make test-deb`, not part of `make test`): install it into a
temporary root with dpkg, run what a user runs from there (--version, --selftest, a headless run that
stores events, --screenshots of every tab), check the desktop entry, the AppStream metainfo and the
package with Debian's own tools, upgrade it over an older build that holds data, and remove it.

The package under test is $HA_INGESTOR_DEB (with its bundle $HA_INGESTOR_BUNDLE), as `make test-deb`
builds them; without them this test builds the bundle and the package itself (several minutes).
The "older version" is the same bundle packaged as 0.0.1, uncompressed, so it builds in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.tabs import tab_classes
from core.version import version

pytestmark = [
    pytest.mark.slow,
    pytest.mark.deb,
    pytest.mark.timeout(1500),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None, reason="needs dpkg"
    ),
]

ROOT = Path(__file__).resolve().parents[1]
BUILD_DEB = ROOT / "packaging" / "deb" / "build_deb.sh"
SPEC = ROOT / "packaging" / "ha_ingestor.spec"
NAME = "ha-ingestor"
MAX_INSTALLED_KB = 180_000_000 // 1024  # the installed package: at most 180 MB
MAX_DEB_BYTES = 90_000_000
TABS = sorted(cls.key for cls in tab_classes())  # every registered tab: one screenshot each


@dataclass(frozen=True)
class Built:
    deb: Path
    old_deb: Path
    bundle: Path


def _run(
    cmd: list[str | Path], timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_deb(bundle: Path, out: Path, *extra: str, compression: str = "xz") -> Path:
    env = dict(os.environ, PYTHON=sys.executable, DEB_COMPRESSION=compression)
    stdout = _ok(_run(["bash", BUILD_DEB, "--bundle", bundle, "--out", out, *extra], 900, env=env))
    return Path(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("debs")
    deb, bundle = os.environ.get("HA_INGESTOR_DEB"), os.environ.get("HA_INGESTOR_BUNDLE")
    if deb and bundle:
        deb_path, bundle_path = Path(deb).resolve(), Path(bundle).resolve()
    else:
        pyinstaller = Path(sys.executable).with_name("pyinstaller")
        if not pyinstaller.exists():
            pytest.skip("PyInstaller is not installed (pip install -e .[packaging])")
        work = tmp_path_factory.mktemp("pyinstaller")
        cmd: list[str | Path] = [
            pyinstaller,
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            work / "dist",
        ]
        _ok(_run([*cmd, "--workpath", work / "build", SPEC], 900))
        bundle_path = work / "dist" / NAME
        deb_path = _build_deb(bundle_path, out)
    old = _build_deb(bundle_path, out, "--version", "0.0.1", compression="none")
    return Built(deb_path, old, bundle_path)


class Root:
    """A dpkg database and file tree in a temporary directory (dpkg --root). The maintainer scripts
    run outside the chroot (--force-script-chrootless) and see DPKG_ROOT, so they leave this
    machine's users and services alone."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for sub in ("var/lib/dpkg/updates", "var/lib/dpkg/info", "var/log"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        (path / "var/lib/dpkg/status").touch()

    def dpkg(self, *args: str | Path) -> str:
        force = ["--force-script-chrootless", "--force-depends", "--force-not-root"]
        return _ok(_run(["dpkg", f"--root={self.path}", *force, *args], 300))

    def installed_version(self) -> str:
        out = _run(["dpkg-query", f"--admindir={self.path}/var/lib/dpkg", "-W", "-f=${Version}", NAME])
        return out.stdout.strip()

    @property
    def launcher(self) -> Path:
        return self.path / "opt" / NAME / NAME


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def _user_env(home: Path) -> dict[str, str]:
    """A user whose home is `home`: the app's config, data and logs go where platformdirs says."""
    env = dict(os.environ, HOME=str(home), QT_QPA_PLATFORM="offscreen")
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        env[var] = str(home / sub)
    env.pop("HA_INGESTOR_DATA_DIR", None)
    return env


def _stored_events(root: Root, home: Path) -> list[dict[str, object]]:
    data_dir = home / ".local/share" / NAME
    out = _ok(_run([root.launcher, "export", "--data-dir", data_dir], 120, env=_user_env(home)))
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _headless_run(root: Root, home: Path, seconds: float) -> None:
    cmd: list[str | Path] = [root.launcher, "--headless", "--demo", "--duration", str(seconds)]
    _ok(_run(cmd, 180, env=_user_env(home)))


@dataclass(frozen=True)
class Upgraded:
    root: Root
    events_before: list[dict[str, object]]  # what the older version had stored
    keys_before: list[bytes]  # the config dir's files (config, API keys) before the upgrade


@pytest.fixture(scope="module")
def upgraded(built: Built, tmp_path_factory: pytest.TempPathFactory, home: Path) -> Upgraded:
    """The older package installed and used for a while (events stored, API keys generated), then
    the package under test installed over it."""
    root = Root(tmp_path_factory.mktemp("root"))
    root.dpkg("-i", built.old_deb)
    assert root.installed_version() == "0.0.1-1"
    _headless_run(root, home, 4)
    _ok(_run([root.launcher, "keys"], 60, env=_user_env(home)))
    before = _stored_events(root, home)
    keys = sorted(p.read_bytes() for p in (home / ".config" / NAME).iterdir())
    root.dpkg("-i", built.deb)
    return Upgraded(root, before, keys)


# -- the package itself ----------------------------------------------------------------------------


def test_package_fields_size_and_version(built: Built) -> None:
    fields = _ok(_run(["dpkg-deb", "-f", built.deb, "Package", "Version", "Installed-Size", "Depends"]))
    info = dict(line.split(": ", 1) for line in fields.splitlines())
    assert info["Package"] == NAME
    assert info["Version"].split("-")[0] == version()  # the one number, from pyproject.toml
    assert int(info["Installed-Size"]) <= MAX_INSTALLED_KB
    assert built.deb.stat().st_size <= MAX_DEB_BYTES
    for needed in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libgl1", "libegl1", "fonts-"):
        assert needed in info["Depends"], needed


def test_lintian_reports_no_errors(built: Built) -> None:
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (apt-get install lintian)")
    result = _run(["lintian", "--tag-display-limit", "0", built.deb], 900)
    errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], "\n".join(errors)


# -- installed -------------------------------------------------------------------------------------


def test_upgrade_keeps_the_users_data_and_the_new_version_runs(upgraded: Upgraded, home: Path) -> None:
    root = upgraded.root
    assert upgraded.events_before, "the older version stored nothing"
    assert root.installed_version().split("-")[0] == version()
    assert _ok(_run([root.launcher, "--version"])).strip() == f"{NAME} {version()}"
    after = _stored_events(root, home)
    assert after[: len(upgraded.events_before)] == upgraded.events_before  # nothing lost or changed
    assert sorted(p.read_bytes() for p in (home / ".config" / NAME).iterdir()) == upgraded.keys_before

    _headless_run(root, home, 3)  # the new version opens (and if needed migrates) the same store
    assert len(_stored_events(root, home)) > len(after)


def test_installed_selftest_passes(upgraded: Upgraded, tmp_path: Path) -> None:
    root = upgraded.root
    assert os.readlink(root.path / "usr/bin" / NAME) == f"/opt/{NAME}/{NAME}"  # the command on PATH
    result = _run([root.launcher, "--selftest"], 120, env=_user_env(tmp_path))
    assert "selftest OK" in _ok(result)


def test_installed_bundle_shows_every_tab(upgraded: Upgraded, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    cmd: list[str | Path] = [
        upgraded.root.launcher,
        "--demo",
        "--data-dir",
        tmp_path / "data",
        "--screenshots",
        shots,
    ]
    _ok(_run(cmd, 300, env=_user_env(tmp_path)))
    assert sorted(p.stem for p in shots.glob("*.png")) == TABS
    assert all(p.stat().st_size > 10_000 for p in shots.glob("*.png"))  # drawn, not blank


def test_every_library_the_installed_bundle_needs_resolves(upgraded: Upgraded) -> None:
    internal = upgraded.root.path / "opt" / NAME / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal), LC_ALL="C")  # what the bootloader sets
    missing = []
    for path in internal.rglob("*.so*"):
        if path.is_file() and not path.is_symlink():
            out = _run(["ldd", path], 60, env=env).stdout
            missing += [f"{path.name}: {line.strip()}" for line in out.splitlines() if "not found" in line]
    assert missing == []


def test_desktop_entry_and_metainfo_validate(upgraded: Upgraded) -> None:
    root = upgraded.root
    share = root.path / "usr" / "share"
    desktop = share / "applications" / f"{NAME}.desktop"
    if shutil.which("desktop-file-validate"):
        assert _ok(_run(["desktop-file-validate", desktop])).strip() == ""
    if shutil.which("appstreamcli"):
        _ok(
            _run(
                [
                    "appstreamcli",
                    "validate",
                    "--no-net",
                    share / "metainfo" / "org.example.HaIngestor.metainfo.xml",
                ]
            )
        )
    for size in (16, 32, 48, 64, 128, 256):
        assert (share / "icons/hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png").is_file()
    assert (share / "icons/hicolor/scalable/apps" / f"{NAME}.svg").is_file()
    assert (share / "doc" / NAME / "copyright").is_file()
    assert (share / "doc" / NAME / "changelog.Debian.gz").is_file()
    assert (root.path / "lib/systemd/system" / f"{NAME}.service").is_file()


def test_the_installed_app_migrates_an_older_store(upgraded: Upgraded, tmp_path: Path) -> None:
    """A store written by the first schema version (as test_store_migration builds it) in the user's
    data dir: the installed app migrates it on its first start and keeps every event."""
    from core.store.schema import SCHEMA_VERSION
    from core.store.store import DB_FILENAME
    from tests.test_store_migration import build_v1

    data = tmp_path / ".local/share" / NAME
    data.mkdir(parents=True)
    build_v1(data / DB_FILENAME)
    config = tmp_path / ".config" / NAME / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[storage]\nretention_days = 3650\n")  # its events are months old: keep them
    _headless_run(upgraded.root, tmp_path, 3)
    old = [e for e in _stored_events(upgraded.root, tmp_path) if e.get("entity_id") == "sensor.t"]
    assert len(old) == 7
    with sqlite3.connect(data / DB_FILENAME) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_the_service_command_runs_headless_with_its_data_in_var_lib(
    upgraded: Upgraded, tmp_path: Path
) -> None:
    """ha-ingestor.service's ExecStart and Environment, run as they are with /var/lib/ha-ingestor
    moved into tmp_path (no systemd here): data, config and API keys land under that directory."""
    unit = (upgraded.root.path / "lib/systemd/system" / f"{NAME}.service").read_text()
    state = tmp_path / "var-lib"

    def moved(text: str) -> str:
        return text.replace(f"/var/lib/{NAME}", str(state)).replace(
            f"/opt/{NAME}", str(upgraded.root.path / "opt" / NAME)
        )

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "QT_QPA_PLATFORM": "offscreen"}
    for line in unit.splitlines():
        if line.startswith("Environment="):
            key, _, value = line.removeprefix("Environment=").partition("=")
            env[key] = moved(value)
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    argv: list[str | Path] = [
        *moved(exec_start.removeprefix("ExecStart=")).split(),
        "--demo",
        "--duration",
        "3",
    ]
    assert "--headless" in argv and "--headless-fallback" in argv
    _ok(_run(argv, 120, env=env))
    assert (state / "data" / "events.sqlite3").is_file()
    assert (state / "config" / NAME / "api_keys.json").is_file()  # where the README says the keys are
    assert not (tmp_path / ".local").exists()


def test_removal_leaves_the_users_data(upgraded: Upgraded, home: Path) -> None:
    root = upgraded.root
    root.dpkg("--purge", NAME)
    assert not (root.path / "opt" / NAME).exists()
    assert any((home / ".local/share" / NAME).iterdir())
    assert any((home / ".config" / NAME).iterdir())
