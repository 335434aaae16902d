"""HA states as numbers and on/off: the Python rules and their SQLite twins agree."""

from __future__ import annotations

import sqlite3

import pytest

from core.energy.reader import _NUMBER_SQL
from core.energy.states import is_on, is_on_sql, number

STATES = [
    "on",
    "off",
    "unavailable",
    "unknown",
    "",
    None,
    "heat",
    "cool",
    "standby",
    "playing",
    "idle",
    "paused",
]


@pytest.mark.parametrize("domain", ["switch", "light", "climate", "media_player", "water_heater", "fan"])
def test_sql_on_off_matches_python(domain: str) -> None:
    conn = sqlite3.connect(":memory:")
    for state in STATES:
        query = f"SELECT {is_on_sql('s', domain)} FROM (SELECT ? AS s)"
        (value,) = conn.execute(query, (state,)).fetchone()
        expected = is_on(domain, state)
        assert value == (None if expected is None else float(expected)), (domain, state)


@pytest.mark.parametrize(
    "state",
    ["12.5", "-3", "0", "1e3", "4000.125", "unavailable", "unknown", "nan", "inf", "", "12 kWh", "on"],
)
def test_sql_numbers_match_python(state: str) -> None:
    conn = sqlite3.connect(":memory:")
    (value,) = conn.execute(f"SELECT {_NUMBER_SQL} FROM (SELECT ? AS state)", (state,)).fetchone()
    assert value == number(state, 1.0)
