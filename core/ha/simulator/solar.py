"""The demo home's rooftop solar under a clear sky: where the sun is at a given time and place, and
what a south-facing array makes of it.

Sun position uses the low-precision formulas of the Astronomical Almanac (about 0.01° over this
century, far finer than a demo needs); clear-sky irradiance uses Meinel's air-mass attenuation, with
a small diffuse share, onto a tilted panel. Pure functions of time: a virtual clock gets the same
curve as the wall clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

HOME_LATITUDE = 52.52
HOME_LONGITUDE = 13.4
"""Where the demo home is (HA's configured location; get_config and zone.home report it)."""

_J2000_S = 946_728_000.0  # 2000-01-01 12:00 UTC
_SOLAR_CONSTANT = 1353.0  # W/m² outside the atmosphere, the value Meinel's fit was made with
_DIFFUSE_SHARE = 0.1  # diffuse sky light as a share of the direct beam on a level surface


@dataclass(frozen=True, slots=True)
class SunPosition:
    elevation: float  # degrees above the horizon (negative at night)
    azimuth: float  # degrees clockwise from north


@dataclass(frozen=True, slots=True)
class Array:
    """A PV array: peak power (kWp at 1000 W/m²), tilt from level, azimuth it faces (180 = south)."""

    peak_w: float = 4000.0
    tilt: float = 35.0
    azimuth: float = 180.0
    latitude: float = HOME_LATITUDE
    longitude: float = HOME_LONGITUDE


def sun_position(epoch_s: float, latitude: float, longitude: float) -> SunPosition:
    """The sun's elevation and azimuth seen from (latitude, longitude) at `epoch_s` (UTC seconds)."""
    d = (epoch_s - _J2000_S) / 86400.0
    g = math.radians((357.529 + 0.98560028 * d) % 360.0)  # mean anomaly
    q = (280.459 + 0.98564736 * d) % 360.0  # mean longitude
    ecliptic = math.radians(q + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g))
    tilt = math.radians(23.439 - 0.00000036 * d)
    right_ascension = math.atan2(math.cos(tilt) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(tilt) * math.sin(ecliptic))
    sidereal_deg = ((18.697374558 + 24.06570982441908 * d) % 24.0) * 15.0 + longitude
    hour_angle = math.radians(sidereal_deg) - right_ascension
    lat = math.radians(latitude)
    sin_elev = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(declination) * math.cos(
        hour_angle
    )
    azimuth = math.atan2(
        -math.cos(declination) * math.sin(hour_angle),
        math.sin(declination) * math.cos(lat) - math.cos(declination) * math.sin(lat) * math.cos(hour_angle),
    )
    return SunPosition(math.degrees(math.asin(sin_elev)), math.degrees(azimuth) % 360.0)


def _direct_normal(elevation: float) -> float:
    """Clear-sky beam irradiance (W/m²) through the air mass at `elevation` (Kasten-Young)."""
    air_mass = 1.0 / (math.sin(math.radians(elevation)) + 0.50572 * (elevation + 6.07995) ** -1.6364)
    return _SOLAR_CONSTANT * math.pow(0.7, math.pow(air_mass, 0.678))


def clear_sky_watts(epoch_s: float, array: Array) -> float:
    """What `array` produces at `epoch_s` under a clear sky (W); 0 while the sun is down."""
    sun = sun_position(epoch_s, array.latitude, array.longitude)
    if sun.elevation <= 0.0:
        return 0.0
    beam = _direct_normal(sun.elevation)
    elev, az = math.radians(sun.elevation), math.radians(sun.azimuth)
    tilt, facing = math.radians(array.tilt), math.radians(array.azimuth)
    incidence = math.sin(elev) * math.cos(tilt) + math.cos(elev) * math.sin(tilt) * math.cos(az - facing)
    diffuse = _DIFFUSE_SHARE * beam * math.sin(elev) * (1.0 + math.cos(tilt)) / 2.0
    on_panel = beam * max(0.0, incidence) + diffuse
    return min(array.peak_w, array.peak_w * on_panel / 1000.0)


def clear_sky_kwh(start_s: float, end_s: float, array: Array, samples: int = 12) -> float:
    """Energy of a clear-sky interval, by the midpoint rule over `samples` equal parts (kWh)."""
    width = (end_s - start_s) / samples
    watts = sum(clear_sky_watts(start_s + (i + 0.5) * width, array) for i in range(samples))
    return watts * width / 3.6e6
