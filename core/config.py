"""Configuration: a TOML file, overridden by environment variables, overridden by CLI flags.

Every section is a typed dataclass; `load_config` validates each key against its field type and
the field's own check, and a problem becomes one `ConfigError` naming the key.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from core.fileperm import private_dir
from core.hosts import is_loopback

APP_NAME = "ha-ingestor"
# An API key shorter than this is guessable; the generated ones are 43 characters.
MIN_API_KEY_LEN = 16
# A number from the environment or the form: ASCII digits only, no padding, no "1_000" (int() and
# float() accept those, and Arabic-Indic digits too; a typo should be an error, not a value).
_INT_TEXT = re.compile(r"-?[0-9]+")
_FLOAT_TEXT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_LOGGER = logging.getLogger(__name__)
SECRET_KEYS = frozenset(
    {
        "token", "password", "api_key", "admin_api_key", "secret", "pin", "kiosk_pin",
        # data sources: provider keys and tokens
        "owm_api_key", "electricity_maps_token", "entsoe_token", "tibber_token",
        "calendar_ics_url",  # private calendar links (Google, Outlook) carry their secret in the URL
    }
)  # fmt: skip


class ConfigError(ValueError):
    """A bad configuration value: `key` is the dotted TOML key, `problem` says what is wrong."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config error: {key}: {problem}")
        self.key = key
        self.problem = problem


def _check(fn: Callable[[Any], str | None]) -> dict[str, Any]:
    return {"check": fn}


def _range(lo: float, hi: float) -> dict[str, Any]:
    return _check(lambda v: None if lo <= v <= hi else f"must be between {lo:g} and {hi:g}, got {v!r}")


def _one_of(*choices: Any) -> dict[str, Any]:
    return _check(lambda v: None if v in choices else f"must be one of {', '.join(map(str, choices))}")


def _url(*schemes: str) -> dict[str, Any]:
    def check(value: str) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            return f"must be a {'/'.join(schemes)} URL like {schemes[0]}://host:port, got {value!r}"
        return None

    return _check(check)


def _secret_url() -> dict[str, Any]:
    """An http(s) URL that may hold a secret: the problem never quotes it."""

    def check(value: str) -> str | None:
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            return "must be an http/https URL like https://host/calendar.ics (webcal:// as https://)"
        return None

    return _check(check)


def _pem_file() -> dict[str, Any]:
    """A readable PEM certificate file ("" = not set); loaded as the TLS code will load it."""

    def check(value: str) -> str | None:
        if not value:
            return None
        from core.tls import CertificateFileError, trusting_only

        try:
            trusting_only(value)
        except CertificateFileError as err:
            return str(err)
        return None

    return _check(check)


def _api_key() -> dict[str, Any]:
    def check(value: str) -> str | None:
        if value and len(value) < MIN_API_KEY_LEN:
            return f"must be at least {MIN_API_KEY_LEN} characters (or empty to use the generated key)"
        return None

    return _check(check)


def _directory() -> dict[str, Any]:
    """A directory path ("" = the platform default) that is not a file and not under one."""

    def check(value: str) -> str | None:
        if not value:
            return None
        path = Path(value).expanduser()
        for candidate in (path, *path.parents):
            if candidate.exists():
                if candidate.is_dir():
                    return None
                where = "is" if candidate == path else f"is under {candidate}, which is"
                return f"{value} {where} a file, not a directory"
        return None

    return _check(check)


def _influx_url() -> dict[str, Any]:
    plain: Callable[[str], str | None] = _url("http", "https")["check"]

    def check(value: str) -> str | None:
        problem = plain(value)
        if problem:
            return problem
        if "@" in urlsplit(value).netloc:
            return "must not contain credentials (user:pass@): set influxdb.username and password"
        return None

    return _check(check)


def _clock_time() -> dict[str, Any]:
    def check(value: str) -> str | None:
        hours, _, minutes = value.partition(":")
        ok = hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60
        return None if ok and len(minutes) == 2 else f"must be a time of day like 22:00, got {value!r}"

    return _check(check)


@dataclass(frozen=True)
class HomeAssistantConfig:
    """The Home Assistant connection.

    backfill_max_hours: after a reconnect or restart, the gap since the last stored event is
    back-filled from HA's recorder, at most this many hours back (0: no back-fill).
    initial_backfill_hours: when the store holds no event of this HA (a new store, or another HA
    before), the first connection imports this many hours of its recorded history (0: none).
    verify_ssl: for https/wss URLs, check HA's TLS certificate against the system trust store
    (false: no check at all; the connection is encrypted, but anyone on the path could pose as HA).
    ca_cert: path to a PEM file holding the CA that signed HA's certificate, or HA's self-signed
    certificate itself; when set, exactly that file is trusted (not the system store), the hostname
    is still checked, and verify_ssl is ignored. "" = system trust store. Not needed for
    Let's Encrypt (DuckDNS, Nabu Casa) certificates.
    """

    url: str = field(default="", metadata=_url("http", "https", "ws", "wss"))
    token: str = field(default="", repr=False)
    verify_ssl: bool = True
    ca_cert: str = field(default="", metadata=_pem_file())
    ping_interval_s: float = field(default=30.0, metadata=_range(1, 3600))
    pong_timeout_s: float = field(default=10.0, metadata=_range(0.5, 600))
    backoff_initial_s: float = field(default=1.0, metadata=_range(0.01, 3600))
    backoff_max_s: float = field(default=300.0, metadata=_range(0.01, 86400))
    backfill_max_hours: float = field(default=24.0, metadata=_range(0, 24 * 30))
    initial_backfill_hours: float = field(default=24.0, metadata=_range(0, 24 * 30))

    @property
    def websocket_url(self) -> str:
        """ws(s)://host/api/websocket derived from whatever form the user gave."""
        parts = urlsplit(self.url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        path = parts.path.rstrip("/")
        if not path.endswith("/api/websocket"):
            path += "/api/websocket"
        return urlunsplit((scheme, parts.netloc, path, "", ""))


@dataclass(frozen=True)
class StorageConfig:
    data_dir: str = field(default="", metadata=_directory())  # empty: the platform data dir
    batch_size: int = field(default=500, metadata=_range(1, 100_000))
    flush_interval_ms: int = field(default=250, metadata=_range(1, 60_000))
    queue_size: int = field(default=50_000, metadata=_range(100, 10_000_000))
    retention_days: int = field(default=30, metadata=_range(1, 3650))
    rollup_5m_days: int = field(default=90, metadata=_range(1, 3650))
    rollup_1h_days: int = field(default=730, metadata=_range(1, 36500))
    max_attributes_bytes: int = field(default=1_048_576, metadata=_range(1024, 64 * 1_048_576))

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()


@dataclass(frozen=True)
class SimulatorConfig:
    enabled: bool = True  # the default when no HA url is configured
    rate: float = field(default=20.0, metadata=_range(1, 20_000))
    seed: int = 1
    entities: int = field(default=120, metadata=_range(120, 50_000))


@dataclass(frozen=True)
class InfluxConfig:
    enabled: bool = False
    api_version: int = field(default=1, metadata=_one_of(1, 2))
    url: str = field(default="http://127.0.0.1:8086", metadata=_influx_url())
    database: str = "home_assistant"
    retention_policy: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    org: str = ""
    bucket: str = ""
    token: str = field(default="", repr=False)
    measurement: str = "state_changed"
    batch_size: int = field(default=5000, metadata=_range(1, 100_000))
    verify_ssl: bool = True
    ca_cert: str = ""
    outbox_max_bytes: int = field(default=2_000_000_000, metadata=_range(1_000_000, 10**13))
    drain_on_shutdown_s: float = field(default=15.0, metadata=_range(0, 600))
    timeout_s: float = field(default=10.0, metadata=_range(0.1, 600))


@dataclass(frozen=True)
class ApiConfig:
    """The REST API.

    allowed_hosts: host names the API answers to in the Host header, besides loopback names and
    the bound host (a DNS rebinding page arrives with its own name and gets 421).
    cors_origins: browser origins allowed to call the API; "*" is refused on a loopback bind,
    where no key is asked for (any web page could read the home's history).
    """

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = field(default=8006, metadata=_range(0, 65535))
    api_key: str = field(default="", repr=False, metadata=_api_key())
    admin_api_key: str = field(default="", repr=False, metadata=_api_key())
    cors_origins: list[str] = field(default_factory=list)
    allowed_hosts: list[str] = field(default_factory=list)

    def problem(self) -> tuple[str, str] | None:
        """A problem across keys: (key, what is wrong), or None."""
        if "*" in self.cors_origins and is_loopback(self.host):
            return "cors_origins", (
                '"*" lets every web page read the API, and a loopback bind asks for no key: '
                "list the origins (e.g. https://grafana.local)"
            )
        return None


@dataclass(frozen=True)
class UiConfig:
    theme: str = field(default="dark", metadata=_one_of("dark", "light"))
    kiosk: bool = False
    # Only a salted hash is kept (core/pin.py); a clear PIN given here is hashed on construction.
    kiosk_pin: str = field(default="", repr=False)
    kiosk_rotate_s: int = field(default=0, metadata=_range(0, 3600))  # 0 = no tab rotation
    kiosk_dim_start: str = field(default="22:00", metadata=_clock_time())
    kiosk_dim_end: str = field(default="06:30", metadata=_clock_time())
    autostart: bool = False  # XDG autostart entry: open the window when the user logs in
    autostart_kiosk: bool = False  # ... in kiosk mode instead (wins over `autostart`)
    screen: int = field(default=-1, metadata=_range(-1, 15))  # full screen on display N; -1 = no
    setup_done: bool = False

    def __post_init__(self) -> None:
        from core.pin import hash_pin

        object.__setattr__(self, "kiosk_pin", hash_pin(self.kiosk_pin))


@dataclass(frozen=True)
class LoggingConfig:
    level: str = field(default="INFO", metadata=_one_of("DEBUG", "INFO", "WARNING", "ERROR"))
    log_dir: str = field(default="", metadata=_directory())


APPLIANCE_ENTRY = re.compile(
    r"^\s*(?P<name>[^:\s][^:]*?)\s*:\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>h|m|min)\s*"
    r"(?::\s*(?P<kwh>\d+(?:\.\d+)?)\s*(?:kwh)?\s*)?$",
    re.IGNORECASE,
)
"""An [energy] appliance: "dishwasher:2h", "washing_machine:90m", "ev_charge:4h:11kWh" (at most 48 h)."""


def appliance_minutes(entry: str) -> float | None:
    """The run time of an appliance entry in minutes, or None when the entry is malformed."""
    match = APPLIANCE_ENTRY.match(entry)
    if match is None:
        return None
    minutes = float(match["amount"]) * (60 if match["unit"].lower() == "h" else 1)
    return minutes if 0 < minutes <= 48 * 60 else None


def _appliances() -> dict[str, Any]:
    def check(values: list[str]) -> str | None:
        for value in values:
            if appliance_minutes(value) is None:
                return f"entries look like dishwasher:2h or ev_charge:4h:11kWh (at most 48 h), got {value!r}"
        return None

    return _check(check)


def _coordinate(limit: float) -> dict[str, Any]:
    def check(value: str) -> str | None:
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            return f"must be a number like 52.52, got {value!r}"
        return None if -limit <= number <= limit else f"must be between {-limit:g} and {limit:g}"

    return _check(check)


@dataclass(frozen=True)
class EnergyConfig:
    """The energy engine: consumption, cost and carbon, which switch costs what, cheapest windows.

    Meters come from HA's energy dashboard, else from sensor metadata; an entity id here overrides
    the discovered one (grid_import/grid_export: energy totals; mains_power: the whole-home power
    sensor; device_meters: energy totals of single devices; solar, battery_out, battery_in: energy
    totals of production and of the battery's discharge and charge, for the home's own usage).
    appliances: "name:duration[:kWh per run]", e.g. dishwasher:2h, washing_machine:90m, ev_charge:4h:11kWh.
    time_zone: for "today" and hours of the day ("" = Home Assistant's, else this computer's).
    """

    enabled: bool = True
    grid_import: str = ""
    grid_export: str = ""
    mains_power: str = ""
    device_meters: list[str] = field(default_factory=list)
    solar: str = ""
    battery_out: str = ""
    battery_in: str = ""
    appliances: list[str] = field(
        default_factory=lambda: ["dishwasher:2h:1.1kWh", "washing_machine:1.5h:0.9kWh", "ev_charge:4h:11kWh"],
        metadata=_appliances(),
    )
    history_days: int = field(default=30, metadata=_range(1, 366))
    refresh_s: float = field(default=300.0, metadata=_range(10, 86400))
    time_zone: str = ""


WEATHER_PROVIDERS = ("open_meteo", "openweathermap", "met_no", "off")
AIR_QUALITY_PROVIDERS = ("open_meteo", "off")
CARBON_PROVIDERS = ("auto", "uk_carbon", "electricity_maps", "off")
PRICE_PROVIDERS = ("auto", "awattar", "octopus", "energi_data_service", "entsoe", "tibber", "off")


@dataclass(frozen=True)
class DataSourcesConfig:
    """Weather, air quality, grid carbon intensity and electricity prices from public providers.

    *_provider: which provider serves the source; "auto" picks one from the country (GB: Octopus
    and UK Carbon Intensity; DE/AT: aWATTar; DK: Energi Data Service; elsewhere ENTSO-E or
    Electricity Maps when their token is set); "off" disables the source.
    latitude/longitude/country: override the location Home Assistant reports ("" = HA's).
    price_zone: DK1/DK2 for Energi Data Service, a bidding zone (DE_LU, NL, ...) or EIC for ENTSO-E
    ("" = from the country). octopus_region: the GSP group letter (A..P; C is London).
    carbon_region: UK Carbon Intensity region id 1-17 (0 = national). carbon_zone: Electricity
    Maps zone ("" = the country). *_url: provider base URL overrides (tests, the demo, proxies).
    metno_contact: the contact met.no's terms require in the User-Agent (an email or URL).
    calendar_enabled/calendar_entities: read Home Assistant's calendars (all, or these entity ids)
    through its REST API with the HA token; calendar_url overrides HA's URL for them.
    calendar_ics_url: an iCalendar (.ics) link read as one more calendar (http/https; write a
    webcal:// link as https://). A secret: private links carry their token in the URL.
    """

    enabled: bool = True
    weather_provider: str = field(default="open_meteo", metadata=_one_of(*WEATHER_PROVIDERS))
    air_quality_provider: str = field(default="open_meteo", metadata=_one_of(*AIR_QUALITY_PROVIDERS))
    carbon_provider: str = field(default="auto", metadata=_one_of(*CARBON_PROVIDERS))
    price_provider: str = field(default="auto", metadata=_one_of(*PRICE_PROVIDERS))
    latitude: str = field(default="", metadata=_coordinate(90))
    longitude: str = field(default="", metadata=_coordinate(180))
    country: str = ""
    price_zone: str = ""
    octopus_region: str = field(default="C", metadata=_one_of(*"ABCDEFGHJKLMNP"))
    octopus_product: str = "AGILE-24-10-01"
    carbon_region: int = field(default=0, metadata=_range(0, 17))
    carbon_zone: str = ""
    owm_api_key: str = field(default="", repr=False)
    electricity_maps_token: str = field(default="", repr=False)
    entsoe_token: str = field(default="", repr=False)
    tibber_token: str = field(default="", repr=False)
    metno_contact: str = ""
    calendar_enabled: bool = True
    calendar_entities: list[str] = field(default_factory=list)
    weather_url: str = field(default="", metadata=_url("http", "https"))
    air_quality_url: str = field(default="", metadata=_url("http", "https"))
    carbon_url: str = field(default="", metadata=_url("http", "https"))
    prices_url: str = field(default="", metadata=_url("http", "https"))
    calendar_url: str = field(default="", metadata=_url("http", "https"))
    calendar_ics_url: str = field(default="", repr=False, metadata=_secret_url())
    retention_days: int = field(default=90, metadata=_range(1, 3650))
    timeout_s: float = field(default=20.0, metadata=_range(1, 300))


def _team_list() -> dict[str, Any]:
    """Each entry is "league:team" or "league:team:spoiler_delay_s" (core.sports.teams parses it)."""

    def check(value: list[str]) -> str | None:
        from core.team_refs import TeamRefError, parse_team_ref

        for entry in value:
            try:
                parse_team_ref(entry)
            except TeamRefError as err:
                return str(err)
        return None

    return _check(check)


@dataclass(frozen=True)
class SportsConfig:
    """Sports from ESPN's public site API for the user's teams.

    teams: "league:team[:spoiler_delay_s]", e.g. "nfl:KC", "eng.1:359:30", "college-football:333";
    the team is an ESPN team id or abbreviation of that league (a bare abbreviation is refused:
    WSH, PIT, ARI... exist in several leagues). spoiler_delay_s (0-120) holds webhooks back.
    base_url: ESPN's site API root; tests and the demo point it at a local server.
    One fetch per league serves every team in it; the cadence adapts to the games' states.
    """

    enabled: bool = True
    teams: list[str] = field(default_factory=list, metadata=_team_list())
    base_url: str = field(
        default="https://site.api.espn.com/apis/site/v2/sports", metadata=_url("http", "https")
    )
    user_agent: str = "python-requests/2.32 HA-Ingestor/1.0"
    live_poll_s: float = field(default=15.0, metadata=_range(1, 600))
    pregame_poll_s: float = field(default=60.0, metadata=_range(1, 3600))
    day_poll_s: float = field(default=300.0, metadata=_range(5, 86400))
    idle_poll_s: float = field(default=3600.0, metadata=_range(5, 86400))
    schedule_refresh_s: float = field(default=21600.0, metadata=_range(60, 7 * 86400))
    timeout_s: float = field(default=10.0, metadata=_range(0.5, 120))
    confirm_polls: int = field(default=2, metadata=_range(1, 10))
    webhook_max_age_s: float = field(default=86400.0, metadata=_range(60, 30 * 86400))
    webhook_timeout_s: float = field(default=10.0, metadata=_range(0.5, 120))


@dataclass(frozen=True)
class AppConfig:
    home_assistant: HomeAssistantConfig = field(default_factory=HomeAssistantConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    simulator: SimulatorConfig = field(default_factory=SimulatorConfig)
    influxdb: InfluxConfig = field(default_factory=InfluxConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    data_sources: DataSourcesConfig = field(default_factory=DataSourcesConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    sports: SportsConfig = field(default_factory=SportsConfig)
    source_path: str = ""  # where it was loaded from (not a TOML key)

    @property
    def use_simulator(self) -> bool:
        """The built-in simulator runs when forced, or when no HA url is configured."""
        return not self.home_assistant.url

    def with_demo(self) -> AppConfig:
        return replace(self, home_assistant=replace(self.home_assistant, url="", token=""))


# Every table of the TOML file: one typed field of AppConfig each (a new engine's section is one field).
SECTIONS = tuple(f.name for f in fields(AppConfig) if f.name != "source_path")
ENV_OVERRIDES = {
    "HA_URL": ("home_assistant", "url"),
    "HA_TOKEN": ("home_assistant", "token"),
    "HA_INGESTOR_DATA_DIR": ("storage", "data_dir"),
    "INFLUXDB_TOKEN": ("influxdb", "token"),
    "INFLUXDB_PASSWORD": ("influxdb", "password"),
}


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))


def load_config(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> AppConfig:
    """File, then environment, then `overrides` (CLI flags), each layer replacing the one before."""
    env = os.environ if env is None else env
    explicit = path is not None
    path = path or default_config_path()
    raw: dict[str, Any] = _read_toml(path) if (explicit or path.exists()) else {}
    for name, (section, key) in ENV_OVERRIDES.items():
        if env.get(name):
            raw.setdefault(section, {})[key] = env[name]
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    config: AppConfig = _build(AppConfig, raw, "")
    if explicit or path.exists():
        _migrate_clear_pin(path, raw, config)
    return replace(config, source_path=str(path))


def _migrate_clear_pin(path: Path, raw: Mapping[str, Any], config: AppConfig) -> None:
    """An older config keeps ui.kiosk_pin in clear: rewrite just that value as its hash, in place
    (comments and layout stay), and only when it came from this file, not the environment or flags."""
    clear = raw.get("ui", {}).get("kiosk_pin")
    if not isinstance(clear, str) or not clear or clear == config.ui.kiosk_pin:
        return
    try:
        text = path.read_text(encoding="utf-8")
        pattern = re.compile(r"(?m)^(\s*kiosk_pin\s*=\s*)(\"[^\"\n]*\"|'[^'\n]*')")
        new, count = pattern.subn(lambda m: m[1] + f'"{config.ui.kiosk_pin}"', text, count=1)
        if count != 1 or tomllib.loads(new).get("ui", {}).get("kiosk_pin") != config.ui.kiosk_pin:
            raise ValueError("kiosk_pin not found as a plain string")
        _write_private(path, new.encode("utf-8"))
    except (OSError, ValueError) as err:
        _LOGGER.warning("the kiosk PIN in %s is kept in clear; save the configuration to hash it (%s)",
                        path, err)  # fmt: skip
    else:
        _LOGGER.info("the kiosk PIN in %s is now stored as a salted hash", path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(path), f"not valid TOML ({err})") from None
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ConfigError(sorted(unknown)[0], f"unknown section; known: {', '.join(SECTIONS)}")
    return data


def _build(cls: Any, raw: Mapping[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls) if f.name != "source_path"}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{prefix}{key}", "unknown key")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in raw:
            continue
        key, value, hint = f"{prefix}{f.name}", raw[f.name], hints[f.name]
        if is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ConfigError(key, "must be a table")
            kwargs[f.name] = _build(hint, value, key + ".")
            continue
        kwargs[f.name] = _coerce(key, value, hint)
        check = f.metadata.get("check")
        problem = check(kwargs[f.name]) if check else None
        if problem:
            raise ConfigError(key, problem)
    built = cls(**kwargs)
    across = built.problem() if hasattr(built, "problem") else None
    if across is not None:
        raise ConfigError(f"{prefix}{across[0]}", across[1])
    return built


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Accept the TOML type, or a string from the environment that parses as the type."""
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        inner = [a for a in get_args(hint) if a is not NoneType]
        return None if value is None else _coerce(key, value, inner[0])
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(key, "must be a list of strings")
        return list(value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(key, f"must be true or false, got {value!r}")
    if hint in (int, float):
        if isinstance(value, bool):
            raise ConfigError(key, f"must be a number, got {value!r}")
        if isinstance(value, str) and not (_INT_TEXT if hint is int else _FLOAT_TEXT).fullmatch(value):
            kind = "whole, in plain digits" if hint is int else "in plain digits"
            raise ConfigError(key, f"must be a number ({kind}), got {value!r}")
        try:
            number = hint(value)
        except (TypeError, ValueError):
            raise ConfigError(key, f"must be a number, got {value!r}") from None
        if hint is int and isinstance(value, float) and not value.is_integer():
            raise ConfigError(key, f"must be a whole number, got {value!r}")
        return number
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(key, f"must be a string, got {value!r}")
        return value
    return value


def to_toml_dict(config: AppConfig, *, mask_secrets: bool = False) -> dict[str, dict[str, Any]]:
    """The config as TOML tables (secrets masked when asked), for saving and for the Configuration tab."""
    out: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        obj = getattr(config, section)
        table: dict[str, Any] = {}
        for f in fields(obj):
            value = getattr(obj, f.name)
            if mask_secrets and f.name in SECRET_KEYS and value:
                value = "********"
            table[f.name] = value
        out[section] = table
    return out


def save_config(config: AppConfig, path: Path | None = None) -> Path:
    """Write the config (with secrets) to a 0600 file."""
    import tomli_w

    path = path or Path(config.source_path or default_config_path())
    private_dir(path.parent)
    data = {
        s: {k: v for k, v in t.items() if v != getattr(_defaults(s), k)}
        for s, t in to_toml_dict(config).items()
    }
    _write_private(path, tomli_w.dumps({s: t for s, t in data.items() if t}).encode("utf-8"))
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with a file that is 0600 from its first byte."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)  # O_CREAT's mode is not applied to a .tmp left over from a crash
    os.replace(tmp, path)


def _defaults(section: str) -> Any:
    return getattr(AppConfig(), section)
