"""The standard demo home: 3 floors, 11 areas, ~57 devices, ~124 entities, plus optional extra sensors."""

from __future__ import annotations

import random
from functools import partial

from core.ha.simulator import energy_home
from core.ha.simulator import home_kits as kits
from core.ha.simulator.behaviours import Battery, Fixed, NumericSensor, Toggle
from core.ha.simulator.behaviours_devices import Automation, Sun
from core.ha.simulator.config import SimulatorConfig
from core.ha.simulator.demo_home import Chain, DemoHome
from core.ha.simulator.home_builder import HomeBuilder
from core.ha.simulator.registries import DeviceEntry
from core.ha.simulator.solar import HOME_LATITUDE, HOME_LONGITUDE

FLOORS = (
    ("basement", "Basement", -1, "mdi:home-floor-negative-1"),
    ("ground_floor", "Ground floor", 0, "mdi:home-floor-0"),
    ("first_floor", "First floor", 1, "mdi:home-floor-1"),
)
# The garden has no floor: enrichment must cope with an area without floor_id.
AREAS: tuple[tuple[str, str, str | None, str, list[str]], ...] = (
    ("living_room", "Living Room", "ground_floor", "mdi:sofa", []),
    ("kitchen", "Kitchen", "ground_floor", "mdi:stove", []),
    ("hallway", "Hallway", "ground_floor", "mdi:door", []),
    ("dining_room", "Dining Room", "ground_floor", "mdi:table-chair", []),
    ("bedroom", "Bedroom", "first_floor", "mdi:bed", []),
    ("kids_room", "Kids Room", "first_floor", "mdi:teddy-bear", []),
    ("bathroom", "Bathroom", "first_floor", "mdi:shower", []),
    ("office", "Office", "first_floor", "mdi:desk", []),
    ("laundry", "Laundry", "basement", "mdi:washing-machine", ["energy"]),
    ("garage", "Garage", "basement", "mdi:garage", []),
    ("garden", "Garden", None, "mdi:flower", ["outdoor"]),
)
LABELS = (
    ("lighting", "Lighting", "amber", "mdi:lightbulb", None),
    ("energy", "Energy", "green", "mdi:lightning-bolt", "Metered loads"),
    ("security", "Security", "red", "mdi:shield-home", None),
    ("critical", "Critical", "deep-orange", "mdi:alert", "Page someone when this fails"),
    ("outdoor", "Outdoor", "light-green", "mdi:tree", None),
)


def build_standard_home(b: HomeBuilder) -> None:
    """Add the floors, areas and devices of the standard home."""
    for floor in FLOORS:
        b.floor(*floor)
    for area_id, name, floor_id, icon, labels in AREAS:
        b.area(area_id, name, floor_id, icon, labels)
    for label in LABELS:
        b.label(*label)
    bridge = b.device(
        "Hue Bridge",
        None,
        "hue",
        manufacturer="Signify Netherlands B.V.",
        model="BSB002",
        sw_version="1967054020",
        configuration_url="https://192.168.1.20",
    )
    _ground_floor(b, bridge)
    _first_floor(b, bridge)
    _basement_and_garden(b, bridge)
    _relay_with_children(b, "laundry")
    _services(b)
    _link_area_sensors(b.home)


def _ground_floor(b: HomeBuilder, bridge: DeviceEntry) -> None:
    kits.light(b, "living_room", "Ceiling", bridge, color=True)
    kits.light(b, "living_room", "Floor lamp", bridge, color=False)
    kits.multisensor(b, "living_room")
    kits.thermostat(b, "living_room")
    kits.plug(b, "living_room", "TV", 85.0)
    kits.cover(b, "living_room", "Window blind", "blind")
    kits.media(b, "living_room", "TV", "tv")
    kits.light(b, "kitchen", "Ceiling", bridge, color=True)
    kits.light(b, "kitchen", "Counter", bridge, color=False)
    kits.multisensor(b, "kitchen")
    kits.plug(b, "kitchen", "Coffee machine", 4.0)
    # The dishwasher plug sits in the kitchen but its switch entity is assigned to the dining room:
    # entity area_id must win over the device's.
    kits.plug(b, "kitchen", "Dishwasher", 12.0, entity_area="dining_room")
    kits.light(b, "hallway", "Ceiling", bridge, color=False)
    kits.multisensor(b, "hallway")
    kits.relay_switch(b, "hallway", "Porch light")
    kits.lock(b, "hallway", "Front door", critical=True)
    kits.door(b, "hallway", "Front door contact")
    kits.light(b, "dining_room", "Pendant", bridge, color=True)
    kits.thermo_hygro(b, "dining_room")
    kits.cover(b, "dining_room", "Window blind", "blind")


def _first_floor(b: HomeBuilder, bridge: DeviceEntry) -> None:
    kits.light(b, "bedroom", "Ceiling", bridge, color=True)
    kits.light(b, "bedroom", "Bedside", bridge, color=False)
    kits.multisensor(b, "bedroom")
    kits.thermostat(b, "bedroom")
    kits.cover(b, "bedroom", "Window blind", "blind")
    kits.media(b, "bedroom", "Speaker", "speaker")
    kits.light(b, "kids_room", "Ceiling", bridge, color=True)
    kits.multisensor(b, "kids_room")
    kits.thermostat(b, "kids_room")
    kits.light(b, "bathroom", "Mirror", bridge, color=False)
    kits.thermo_hygro(b, "bathroom")
    kits.plug(b, "bathroom", "Towel heater", 300.0)
    kits.light(b, "office", "Desk", bridge, color=False)
    kits.multisensor(b, "office")
    kits.plug(b, "office", "Computer", 120.0)
    kits.thermostat(b, "office")
    kits.media(b, "office", "Speaker", "speaker")


def _basement_and_garden(b: HomeBuilder, bridge: DeviceEntry) -> None:
    kits.plug(b, "laundry", "Washing machine", 40.0)
    kits.plug(b, "laundry", "Dryer", 60.0)
    kits.thermo_hygro(b, "laundry")
    kits.energy_meter(b, "laundry")
    kits.light(b, "garage", "Ceiling", bridge, color=False)
    kits.door(b, "garage", "Side door contact")
    kits.cover(b, "garage", "Garage door", "garage")
    kits.lock(b, "garage", "Side door", critical=False)
    kits.plug(b, "garage", "Car charger", 1500.0)
    kits.weather_station(b, "garden")
    kits.light(b, "garden", "Path lights", bridge, color=False)
    kits.relay_switch(b, "garden", "Irrigation")
    kits.solar_inverter(b, "garage")


def _relay_with_children(b: HomeBuilder, area_id: str) -> None:
    """A 4-channel relay whose channels are 2026.9 child devices; two have no area (they inherit)."""
    parent = b.device(
        "Shelly Pro 4PM",
        area_id,
        "shelly",
        manufacturer="Shelly",
        model="Shelly Pro 4PM",
        model_id="SPSW-104PE16EU",
        sw_version="1.4.4",
        labels=["energy"],
    )
    b.entity(
        "sensor",
        parent,
        "Device temperature",
        lambda g: NumericSensor(g, value=42, low=30, high=70, sigma=0.3, decimals=1, weight=0.3),
        platform="shelly",
        unit="°C",
        device_class="temperature",
        entity_category=kits.DIAGNOSTIC,
    )
    channels = (("Channel 1", None), ("Channel 2", None), ("Channel 3", "garage"), ("Channel 4", "garden"))
    for index, (name, channel_area) in enumerate(channels, start=1):
        child = b.device(
            f"Shelly Pro 4PM {name}",
            channel_area,
            "shelly",
            parent_device_id=parent.id,
            identifiers=[["shelly", f"{parent.identifiers[0][1]}-ch{index}"]],
        )
        b.entity("switch", child, None, lambda g: Toggle(g, user_share=0.2), platform="shelly")
        b.entity(
            "sensor",
            child,
            "Power",
            lambda g: NumericSensor(g, value=30, low=0, high=2000, sigma=4, decimals=1, weight=1.5),
            platform="shelly",
            unit="W",
            device_class="power",
            hidden_by="user" if index == 4 else None,
        )


def _services(b: HomeBuilder) -> None:
    """Entities without a physical device: sun, automations, script, persons, zone, a YAML template."""
    sun = b.device("Sun", None, "sun", entry_type="service")
    b.entity(
        "sun", sun, None, lambda g: Sun(g, elevation=b.rng.uniform(5, 40)), platform="sun", can_fail=False
    )
    users = b.home.users
    users["Anna"], users["Ben"] = b.hex_id(), b.hex_id()
    for name, user_id in users.items():
        dyn = {"editable": True, "id": name.lower(), "user_id": user_id, "device_trackers": []}
        b.entity(
            "person",
            None,
            name,
            partial(Toggle, states=("home", "not_home"), weight=0.05, start_on=True, static=dyn),
            platform="person",
            can_fail=False,
        )
    automations = (
        ("Hallway motion lights", "hallway"),
        ("Porch light follows hallway", "hallway"),
        ("Kitchen motion lights", "kitchen"),
        ("Coffee when kitchen light on", "kitchen"),
        ("Away mode", None),
        ("Good night", None),
    )
    for name, area_id in automations:
        auto_id = str(1723987200000 + b.rng.randrange(10**8))
        b.entity(
            "automation",
            None,
            name,
            partial(Automation, automation_id=auto_id),
            platform="automation",
            area_id=area_id,
            can_fail=False,
        )
    script = {"last_triggered": None, "mode": "single", "current": 0}
    b.entity(
        "script", None, "Movie night", lambda g: Fixed(g, "off", script), platform="script", can_fail=False
    )
    zone = {
        "latitude": HOME_LATITUDE,
        "longitude": HOME_LONGITUDE,
        "radius": 100,
        "passive": False,
        "persons": [f"person.{name.lower()}" for name in users],
        "editable": True,
    }
    b.entity(
        "zone",
        None,
        "Home",
        lambda g: Fixed(g, "2", zone),
        platform="zone",
        icon="mdi:home",
        registered=False,
        can_fail=False,
    )
    b.entity(
        "sensor",
        None,
        "Feels like",
        lambda g: NumericSensor(g, value=13.0, low=-20, high=40, sigma=0.1, decimals=1),
        platform="template",
        unit="°C",
        registered=False,
    )


def _link_area_sensors(home: DemoHome) -> None:
    """Set each area's temperature/humidity_entity_id to a sensor in it, as users do in the UI."""
    for entity_id, sim in home.entities.items():
        entry = sim.entry
        device = home.devices.get(entry.device_id or "") if entry else None
        area = home.areas.get(device.area_id or "") if device else None
        if area is None or not entity_id.startswith("sensor."):
            continue
        if entity_id.endswith("_temperature") and area.temperature_entity_id is None:
            area.temperature_entity_id = entity_id
        elif entity_id.endswith("_humidity") and area.humidity_entity_id is None:
            area.humidity_entity_id = entity_id


def add_extra_sensors(b: HomeBuilder, target: int) -> None:
    """Add sensor nodes (temperature, humidity, pressure, battery) until `target` entities have a state."""
    areas = list(b.home.areas)
    node = 0
    while len(b.home.entities) < target:
        node += 1
        area_id = b.rng.choice(areas)
        dev = b.device(f"Sensor node {node}", area_id, "mqtt", manufacturer="Aqara", model="WSDCGQ11LM")
        makers = (
            (
                "Temperature",
                "°C",
                "temperature",
                lambda g: NumericSensor(
                    g, value=20 + b.rng.uniform(-3, 3), low=10, high=32, sigma=0.1, decimals=1
                ),
            ),
            (
                "Humidity",
                "%",
                "humidity",
                lambda g: NumericSensor(
                    g, value=50 + b.rng.uniform(-10, 10), low=20, high=95, sigma=0.5, decimals=1
                ),
            ),
            (
                "Pressure",
                "hPa",
                "atmospheric_pressure",
                lambda g: NumericSensor(g, value=1013, low=960, high=1050, sigma=0.2, decimals=1, weight=0.5),
            ),
            ("Battery", "%", "battery", lambda g: Battery(g, value=b.rng.randrange(20, 101))),
        )
        for name, unit, device_class, make in makers:
            if len(b.home.entities) >= target:
                break
            b.entity("sensor", dev, name, make, platform="mqtt", unit=unit, device_class=device_class)


CHAINS = (
    Chain(
        motion="binary_sensor.hallway_multisensor_motion",
        automation="automation.hallway_motion_lights",
        light="light.hallway_ceiling",
        follow_automation="automation.porch_light_follows_hallway",
        follow_target="switch.hallway_porch_light",
    ),
    Chain(
        motion="binary_sensor.kitchen_multisensor_motion",
        automation="automation.kitchen_motion_lights",
        light="light.kitchen_counter",
        follow_automation="automation.coffee_when_kitchen_light_on",
        follow_target="switch.kitchen_coffee_machine",
    ),
)


def populate(home: DemoHome, config: SimulatorConfig) -> None:
    """Fill `home` with the standard layout (and extras up to config.entities), seeded by config.seed."""
    builder = HomeBuilder(home, random.Random(config.seed))
    build_standard_home(builder)
    add_extra_sensors(builder, config.entities)
    for chain in CHAINS:
        missing = [eid for eid in chain_entities(chain) if eid not in home.entities]
        if missing:
            raise RuntimeError(f"demo home layout lost chain entities: {missing}")
        home.chains.append(chain)
    energy_home.wire(home)


def chain_entities(chain: Chain) -> tuple[str, ...]:
    """Return the entity ids a chain touches."""
    return (chain.motion, chain.automation, chain.light, chain.follow_automation, chain.follow_target)
