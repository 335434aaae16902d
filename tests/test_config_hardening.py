"""Config edge cases a careless user (or a typo) produces, and the kiosk PIN kept only as a hash:
each one is a clear one-line error, not a traceback, a retry loop or a silently odd value."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import MIN_API_KEY_LEN, ConfigError, load_config, save_config
from core.pin import is_pin_hash, verify_pin

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text", ["1_000", "١٢٣", " 500 ", "500 ", "+500", "5e2", "0x10"])
def test_loose_integers_are_refused(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(None, env={}, overrides={"storage": {"batch_size": text}})
    assert err.value.key == "storage.batch_size" and "plain digits" in err.value.problem


@pytest.mark.parametrize("text", ["1_0.5", "١.٥", " 2.5"])
def test_loose_numbers_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        load_config(None, env={}, overrides={"simulator": {"rate": text}})


def test_plain_numbers_from_text_still_work() -> None:
    config = load_config(
        None, env={}, overrides={"storage": {"batch_size": "750"}, "simulator": {"rate": "2.5"}}
    )
    assert config.storage.batch_size == 750 and config.simulator.rate == 2.5


@pytest.mark.parametrize("key", ["api_key", "admin_api_key"])
def test_short_api_keys_are_refused(key: str) -> None:
    for short in ("x", "ab", "a" * (MIN_API_KEY_LEN - 1)):
        with pytest.raises(ConfigError) as err:
            load_config(None, env={}, overrides={"api": {key: short}})
        assert err.value.key == f"api.{key}" and str(MIN_API_KEY_LEN) in err.value.problem
    assert getattr(load_config(None, env={}, overrides={"api": {key: "k" * MIN_API_KEY_LEN}}).api, key)


def test_influx_url_with_credentials_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(
            None,
            env={},
            overrides={"influxdb": {"url": "http://admin:hunter2@127.0.0.1:8086", "username": "ha"}},
        )
    assert err.value.key == "influxdb.url" and "credentials" in err.value.problem
    assert "hunter2" not in str(err.value)


def test_cors_star_on_a_loopback_bind_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(None, env={}, overrides={"api": {"cors_origins": ["*"]}})
    assert err.value.key == "api.cors_origins"
    exposed = load_config(None, env={}, overrides={"api": {"cors_origins": ["*"], "host": "0.0.0.0"}})
    assert exposed.api.cors_origins == ["*"]  # every data call needs a key there


@pytest.mark.parametrize("key", ["storage.data_dir", "logging.log_dir"])
def test_a_directory_setting_pointing_at_a_file_exits_2_with_one_line(tmp_path: Path, key: str) -> None:
    """A real `main.py` process: one line on stderr naming the key, exit code 2, no traceback."""
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    section, name = key.split(".")
    for target in (a_file, a_file / "sub"):
        config = write(tmp_path, f'[{section}]\n{name} = "{target}"\n')
        proc = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--headless", "--duration", "1", "--config", str(config)],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and key in lines[0] and "not a directory" in lines[0], proc.stderr


# -- the kiosk PIN ---------------------------------------------------------------------------------


def test_a_clear_pin_in_an_existing_config_is_migrated_to_a_hash(tmp_path: Path) -> None:
    path = write(tmp_path, '# my wall tablet\n[ui]\nkiosk = true\nkiosk_pin = "4711"  # the PIN\n')
    os.chmod(path, 0o600)
    config = load_config(path, env={})
    stored = config.ui.kiosk_pin
    assert is_pin_hash(stored) and verify_pin("4711", stored) and not verify_pin("4712", stored)
    text = path.read_text()
    assert "4711" not in text and stored in text and "# my wall tablet" in text and "# the PIN" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_config(path, env={})
    assert again.ui.kiosk_pin == stored  # a hash is not hashed twice
    saved = save_config(again, tmp_path / "saved.toml").read_text()
    assert stored in saved and "4711" not in saved


def test_a_pin_typed_in_the_form_is_hashed_before_it_is_kept() -> None:
    config = load_config(Path(os.devnull), env={}, overrides={"ui": {"kiosk_pin": "2468"}})
    assert is_pin_hash(config.ui.kiosk_pin) and verify_pin("2468", config.ui.kiosk_pin)
