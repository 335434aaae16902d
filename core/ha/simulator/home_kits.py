"""Device kits: one function per kind of device, each adding the device and its entities."""

from __future__ import annotations

from functools import partial

from core.ha.simulator.behaviours import Battery, Counter, Motion, NumericSensor, Toggle
from core.ha.simulator.behaviours_devices import Climate, Cover, Light, MediaPlayer
from core.ha.simulator.energy_home import Flow, GridPower, HouseMeterPower, IntegratingMeter, SolarPower
from core.ha.simulator.home_builder import HomeBuilder
from core.ha.simulator.registries import DeviceEntry

DIAGNOSTIC = "diagnostic"


def _title(builder: HomeBuilder, area_id: str | None, name: str) -> str:
    area = builder.home.areas.get(area_id or "")
    return f"{area.name} {name}" if area else name


def light(b: HomeBuilder, area_id: str, name: str, bridge: DeviceEntry, *, color: bool) -> None:
    """A Hue bulb behind the bridge."""
    dev = b.device(
        _title(b, area_id, name),
        area_id,
        "hue",
        manufacturer="Signify Netherlands B.V.",
        model="LCT015" if color else "LWB010",
        via_device_id=bridge.id,
        sw_version="1.104.2",
        labels=["lighting"],
    )
    b.entity(
        "light",
        dev,
        None,
        lambda g: Light(g, color_temp=color),
        platform="hue",
        features=40,
        options={"conversation": {"should_expose": True}},
    )


def multisensor(b: HomeBuilder, area_id: str) -> None:
    """A Zigbee motion sensor with temperature, illuminance, battery and a disabled RSSI sensor."""
    dev = b.device(
        _title(b, area_id, "Multisensor"),
        area_id,
        "zha",
        manufacturer="Philips",
        model="SML001",
        connections=[["zigbee", f"00:17:88:01:{b.rng.getrandbits(32):08x}"]],
    )
    b.entity(
        "binary_sensor",
        dev,
        "Motion",
        Motion,
        platform="zha",
        device_class="motion",
        labels=["security"],
        restores=True,
    )
    temp = 20.0 + b.rng.uniform(-1.5, 2.0)
    b.entity(
        "sensor",
        dev,
        "Temperature",
        lambda g: NumericSensor(g, value=temp, low=15, high=28, sigma=0.08, decimals=1),
        platform="zha",
        unit="°C",
        device_class="temperature",
        options={"sensor": {"display_precision": 1}},
    )
    b.entity(
        "sensor",
        dev,
        "Illuminance",
        lambda g: NumericSensor(g, value=180, low=0, high=1500, sigma=12, decimals=0),
        platform="zha",
        unit="lx",
        device_class="illuminance",
    )
    _battery(b, dev, "zha")
    b.entity(
        "sensor",
        dev,
        "RSSI",
        lambda g: NumericSensor(g, value=-60, low=-95, high=-30, sigma=1, decimals=0),
        platform="zha",
        unit="dBm",
        device_class="signal_strength",
        entity_category=DIAGNOSTIC,
        disabled_by="integration",
    )


def thermo_hygro(b: HomeBuilder, area_id: str) -> None:
    """A temperature/humidity sensor."""
    dev = b.device(
        _title(b, area_id, "Climate sensor"),
        area_id,
        "zha",
        manufacturer="Aqara",
        model="WSDCGQ11LM",
        model_id="lumi.weather",
    )
    temp = 20.5 + b.rng.uniform(-1.0, 2.5)
    b.entity(
        "sensor",
        dev,
        "Temperature",
        lambda g: NumericSensor(g, value=temp, low=15, high=29, sigma=0.08, decimals=1),
        platform="zha",
        unit="°C",
        device_class="temperature",
    )
    humidity = 45 + b.rng.uniform(-8, 12)
    b.entity(
        "sensor",
        dev,
        "Humidity",
        lambda g: NumericSensor(g, value=humidity, low=25, high=85, sigma=0.4, decimals=1, weight=0.7),
        platform="zha",
        unit="%",
        device_class="humidity",
    )
    _battery(b, dev, "zha")


def _battery(b: HomeBuilder, dev: DeviceEntry, platform: str) -> None:
    level = b.rng.randrange(20, 101)
    b.entity(
        "sensor",
        dev,
        "Battery",
        lambda g: Battery(g, value=level),
        platform=platform,
        unit="%",
        device_class="battery",
        entity_category=DIAGNOSTIC,
    )


def thermostat(b: HomeBuilder, area_id: str) -> None:
    """A radiator thermostat (climate domain: attribute-only updates are significant for history)."""
    dev = b.device(
        _title(b, area_id, "Thermostat"),
        area_id,
        "tado",
        manufacturer="tado°",
        model="RU02",
        sw_version="95.1",
    )
    current = round(19.5 + b.rng.uniform(-1, 1.5), 1)
    b.entity(
        "climate",
        dev,
        None,
        lambda g: Climate(g, current=current, target=21.0),
        platform="tado",
        features=385,
    )


def plug(b: HomeBuilder, area_id: str, name: str, watts: float, *, entity_area: str | None = None) -> None:
    """A metering smart plug: switch, power and energy."""
    dev = b.device(
        _title(b, area_id, name),
        area_id,
        "shelly",
        manufacturer="Shelly",
        model="Shelly Plug S",
        model_id="SHPLG-S",
        labels=["energy"],
        configuration_url="http://192.168.1.40",
    )
    b.entity(
        "switch",
        dev,
        None,
        lambda g: Toggle(g, user_share=0.3, start_on=True),
        platform="shelly",
        device_class="outlet",
        area_id=entity_area,
    )
    b.entity(
        "sensor",
        dev,
        "Power",
        lambda g: NumericSensor(
            g,
            value=watts,
            low=0,
            high=max(50.0, watts * 4),
            sigma=max(1.0, watts / 15),
            decimals=1,
            weight=3.0,
        ),
        platform="shelly",
        unit="W",
        device_class="power",
    )
    b.entity(
        "sensor",
        dev,
        "Energy",
        lambda g: Counter(g, value=b.rng.uniform(20, 900), step=max(0.001, watts / 40000), weight=1.2),
        platform="shelly",
        unit="kWh",
        device_class="energy",
    )


def relay_switch(b: HomeBuilder, area_id: str, name: str) -> None:
    """A plain relay (no metering)."""
    dev = b.device(_title(b, area_id, name), area_id, "esphome", manufacturer="Sonoff", model="Mini R2")
    b.entity("switch", dev, None, lambda g: Toggle(g, user_share=0.4), platform="esphome")


def cover(b: HomeBuilder, area_id: str, name: str, device_class: str) -> None:
    """A blind or garage door."""
    dev = b.device(_title(b, area_id, name), area_id, "somfy", manufacturer="Somfy", model="RTS")
    b.entity("cover", dev, None, Cover, platform="somfy", device_class=device_class, features=15)


def media(b: HomeBuilder, area_id: str, name: str, device_class: str) -> None:
    """A TV or speaker."""
    dev = b.device(
        _title(b, area_id, name),
        area_id,
        "cast",
        manufacturer="Google Inc.",
        model="Chromecast" if device_class == "tv" else "Nest Audio",
    )
    b.entity(
        "media_player",
        dev,
        None,
        MediaPlayer,
        platform="cast",
        device_class=device_class,
        features=152461,
        restores=True,
    )


def lock(b: HomeBuilder, area_id: str, name: str, *, critical: bool) -> None:
    """A smart lock with battery; people lock and unlock it."""
    dev = b.device(
        _title(b, area_id, name),
        area_id,
        "nuki",
        manufacturer="Nuki",
        model="Smart Lock 3.0",
        labels=["security"],
    )
    labels = ["security", "critical"] if critical else ["security"]
    b.entity(
        "lock",
        dev,
        None,
        lambda g: Toggle(g, states=("locked", "unlocked"), user_share=0.6, start_on=True),
        platform="nuki",
        features=0,
        labels=labels,
        restores=True,
    )
    _battery(b, dev, "nuki")


def door(b: HomeBuilder, area_id: str, name: str) -> None:
    """A door contact."""
    dev = b.device(_title(b, area_id, name), area_id, "zha", manufacturer="Aqara", model="MCCGQ11LM")
    b.entity(
        "binary_sensor",
        dev,
        "Door",
        lambda g: Toggle(g, weight=0.4),
        platform="zha",
        device_class="door",
        labels=["security"],
    )
    _battery(b, dev, "zha")


# (name, unit, device_class, value, low, high, sigma, decimals, weight)
NumericRow = tuple[str, str, str, float, float, float, float, int, float]


def _numeric_sensors(
    b: HomeBuilder, dev: DeviceEntry, rows: tuple[NumericRow, ...], *, platform: str, restores: bool = False
) -> None:
    """One random-walk sensor per row, on `dev`."""
    for name, unit, dc, value, low, high, sigma, decimals, weight in rows:
        walk = partial(
            NumericSensor, value=value, low=low, high=high, sigma=sigma, decimals=decimals, weight=weight
        )
        b.entity("sensor", dev, name, walk, platform=platform, unit=unit, device_class=dc, restores=restores)


def energy_meter(b: HomeBuilder, area_id: str) -> None:
    """The house meter: the home's power (chatty), voltage, current, the grid's import and export totals
    and the grid's power."""
    dev = b.device(
        "House energy meter",
        area_id,
        "esphome",
        manufacturer="Espressif",
        model="ESP32 P1 reader",
        labels=["energy"],
        sw_version="2025.6.3",
    )
    # Mains power is the base load plus every load that is on (energy_home.wire connects them).
    mains = partial(HouseMeterPower, value=250.0, low=100.0, high=1000.0, sigma=6.0, decimals=0, weight=3.0)
    b.entity("sensor", dev, "Power", mains, platform="esphome", unit="W", device_class="power")
    sensors = (
        ("Voltage", "V", "voltage", 230.0, 215.0, 245.0, 0.4, 1, 2.0),
        ("Current", "A", "current", 2.0, 0.2, 25.0, 0.15, 2, 2.0),
    )
    _numeric_sensors(b, dev, sensors, platform="esphome")
    # Import and export are what the grid sees: the home's use net of the roof's production.
    flows: tuple[tuple[str, float, Flow], ...] = (
        ("Energy import", 0.004, "import"),
        ("Energy export", 0.0015, "export"),
    )
    for name, step, flow in flows:
        b.entity(
            "sensor",
            dev,
            name,
            partial(IntegratingMeter, value=b.rng.uniform(4000, 9000), step=step, flow=flow),
            platform="esphome",
            unit="kWh",
            device_class="energy",
        )
    # What the grid connection sees (negative while exporting); "Power" above is the home's use.
    b.entity("sensor", dev, "Grid power", GridPower, platform="esphome", unit="W", device_class="power")


def solar_inverter(b: HomeBuilder, area_id: str) -> None:
    """The roof's inverter: AC power following the sun, and its lifetime production."""
    dev = b.device(
        "Solar inverter",
        area_id,
        "fronius",
        manufacturer="Fronius",
        model="Primo 4.0-1",
        labels=["energy"],
        sw_version="3.29.7-1",
    )
    b.entity("sensor", dev, "AC power", SolarPower, platform="fronius", unit="W", device_class="power")
    b.entity(
        "sensor",
        dev,
        "Total energy",
        partial(IntegratingMeter, value=b.rng.uniform(9000, 20000), step=0.002, flow="solar"),
        platform="fronius",
        unit="kWh",
        device_class="energy",
    )


def weather_station(b: HomeBuilder, area_id: str) -> None:
    """Outdoor sensors from a cloud integration (restored at start-up)."""
    dev = b.device("Weather station", area_id, "netatmo", manufacturer="Netatmo", model="NAModule1")
    sensors = (
        ("Temperature", "°C", "temperature", 14.0, -15.0, 38.0, 0.1, 1, 1.0),
        ("Humidity", "%", "humidity", 70.0, 20.0, 100.0, 0.5, 0, 0.6),
        ("Pressure", "hPa", "atmospheric_pressure", 1013.0, 960.0, 1050.0, 0.2, 1, 0.3),
        ("Wind speed", "km/h", "wind_speed", 8.0, 0.0, 90.0, 1.2, 1, 1.2),
    )
    _numeric_sensors(b, dev, sensors, platform="netatmo", restores=True)
