"""Configuration: file, then environment, then CLI; one clear error line and exit code 2."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import AppConfig, ConfigError, load_config, save_config, to_toml_dict

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_use_the_simulator(tmp_path: Path) -> None:
    config = load_config(None, env={})
    assert isinstance(config, AppConfig)
    assert config.simulator.rate == 20
    assert config.storage.batch_size == 500 and config.storage.flush_interval_ms == 250


def test_file_env_cli_layering(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[home_assistant]\nurl = "http://ha.local:8123"\ntoken = "file-token"\n'
        '[storage]\ndata_dir = "/file"\n[simulator]\nrate = 50\nseed = 7\n',
    )
    config = load_config(path, env={"HA_TOKEN": "env-token"}, overrides={"storage": {"data_dir": "/cli"}})
    assert config.home_assistant.token == "env-token"
    assert config.storage.data_dir == "/cli"
    assert config.simulator.rate == 50 and config.simulator.seed == 7
    assert not config.use_simulator
    assert config.home_assistant.websocket_url == "ws://ha.local:8123/api/websocket"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ha.example.org", "wss://ha.example.org/api/websocket"),
        ("ws://10.0.0.2:8123/api/websocket", "ws://10.0.0.2:8123/api/websocket"),
        ("http://ha:8123/", "ws://ha:8123/api/websocket"),
    ],
)
def test_websocket_url_is_derived(url: str, expected: str) -> None:
    assert load_config(None, env={"HA_URL": url}).home_assistant.websocket_url == expected


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[storage]\nbatch_size = "many"\n', "storage.batch_size", "must be a number"),
        ("[storage]\nbatch_size = 0\n", "storage.batch_size", "between"),
        ('[home_assistant]\nurl = "ftp://x"\n', "home_assistant.url", "URL"),
        ("[simulator]\nrate = 50000\n", "simulator.rate", "between"),
        ("[simulator]\nenabled = 3\n", "simulator.enabled", "true or false"),
        ("[storage]\nbatch_sise = 5\n", "storage.batch_sise", "unknown key"),
        ("[stroage]\n", "stroage", "unknown section"),
        ("[influxdb]\napi_version = 3\n", "influxdb.api_version", "one of"),
        ('[ui]\nkiosk_dim_start = "25:00"\n', "ui.kiosk_dim_start", "time of day"),
        ('[ui]\nkiosk_dim_end = "late"\n', "ui.kiosk_dim_end", "time of day"),
        ("this is = = not toml", None, "not valid TOML"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str | None, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), env={})
    if key:
        assert err.value.key == key
    assert words in str(err.value)


def test_bad_config_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[storage]\nflush_interval_ms = -5\n")
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(path), "--headless", "--duration", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "storage.flush_interval_ms" in lines[0]


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_save_round_trip_keeps_secrets_private(tmp_path: Path) -> None:
    config = load_config(None, env={"HA_URL": "http://ha:8123", "HA_TOKEN": "s3cret"})
    path = save_config(config, tmp_path / "saved.toml")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_config(path, env={})
    assert again.home_assistant.token == "s3cret" and again.home_assistant.url == "http://ha:8123"
    masked = to_toml_dict(again, mask_secrets=True)
    assert masked["home_assistant"]["token"] == "********"
