"""A calendar from an ICS URL: VEVENT times in every form calendars publish (TZID, UTC, floating,
all-day dates, a duration), normalised to the same event slots as Home Assistant's calendars, and
shown by `upcoming_events()` beside them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson
import pytest

from app.tabs.data_sources_data import PROVIDER_NAMES, event_lines, headline
from core.config import AppConfig, DataSourcesConfig, HomeAssistantConfig, load_config, to_toml_dict
from core.datasources import DEMO_LOCATION, calendar_for
from core.datasources.engine import DataSourcesEngine
from core.datasources.model import Location, ProviderError, Source, SourceState
from core.datasources.providers.base import FetchContext
from core.datasources.providers.ha_calendar import HaCalendar
from core.datasources.providers.ics import IcsCalendar, parse_ics, to_slots
from core.datasources.schedule import Tuning
from core.slots import Slot
from tests.provider_server import FIXTURES, ProviderServer, Reply, provider_server

__all__ = ["provider_server"]

BERLIN = "Europe/Berlin"
NOW = datetime(2025, 11, 3, 14, 50, tzinfo=UTC)
OFF = {
    "weather_provider": "off",
    "air_quality_provider": "off",
    "carbon_provider": "off",
    "price_provider": "off",
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


def ics_fixture() -> str:
    return (FIXTURES / "calendar.ics").read_text(encoding="utf-8")


def test_every_kind_of_event_time_becomes_utc() -> None:
    events = {e.summary: e for e in parse_ics(ics_fixture(), BERLIN)}
    # TZID: Berlin is UTC+1 in November
    assert (events["School run"].start, events["School run"].end) == (
        utc(2025, 11, 4, 6, 30),
        utc(2025, 11, 4, 7, 15),
    )
    # UTC `Z`; a folded SUMMARY with escaped commas and semicolons
    call = events["Call, with Bob; about the heat pump and the solar panels"]
    assert (call.start, call.end) == (utc(2025, 11, 4, 17), utc(2025, 11, 4, 18))
    # floating: the home's wall time
    assert events["Dinner"].start == utc(2025, 11, 5, 18)
    # another IANA zone, quoted, with a DURATION instead of DTEND
    webinar = events["Webinar"]
    assert (webinar.start, webinar.end) == (utc(2025, 11, 6, 14), utc(2025, 11, 6, 15, 30))
    # a Windows zone name is unknown to the IANA database: the home's zone, not UTC
    assert events["Lunch"].start == utc(2025, 11, 6, 11)
    # all-day: local midnights, DTEND exclusive; without DTEND one (local) day
    away = events["Away: weekend trip"]
    assert (away.start, away.end) == (utc(2025, 11, 6, 23), utc(2025, 11, 9, 23))
    bins = events["Bin collection"]
    assert (bins.start, bins.end) == (utc(2025, 11, 7, 23), utc(2025, 11, 8, 23))
    clocks = events["Clocks go back"]  # 26 Oct 2025 in Berlin lasts 25 hours
    assert clocks.end - clocks.start == timedelta(hours=25)
    assert "Cancelled meeting" not in events and "Reminder" not in events  # nor the alarm's text
    # RRULE is not expanded: the first occurrence only, marked as recurring
    assert events["Gym"].recurring and events["Gym"].start == utc(2025, 11, 3, 18)


def test_the_window_gives_calendar_slots_like_home_assistant() -> None:
    slots, labels = to_slots(parse_ics(ics_fixture(), BERLIN), NOW, NOW + timedelta(days=7))
    assert slots[0] == Slot(utc(2025, 11, 3, 18), utc(2025, 11, 3, 19), 1.0, "event")
    assert labels[slots[0].start] == "Gym"
    assert "Last month" not in labels.values()  # ended before the window
    assert [labels[s.start] for s in slots][:3] == [
        "Gym",
        "School run",
        "Call, with Bob; about the heat pump and the solar panels",
    ]


def test_a_page_that_is_not_a_calendar_is_an_error() -> None:
    with pytest.raises(ProviderError, match="not an iCalendar"):
        parse_ics("<html>login</html>", BERLIN)


async def test_fetch_never_names_the_private_url(provider_server: ProviderServer) -> None:
    url = provider_server.url + "/private/s3cr3t-token/basic.ics"
    ctx_settings = replace(DataSourcesConfig(), timeout_s=5.0)
    location = Location(52.52, 13.41, "DE", BERLIN, "EUR")
    provider_server.on("/private/s3cr3t-token/basic.ics", Reply(b"nope", 404, content_type="text/plain"))
    async with aiohttp.ClientSession() as session:
        ctx = FetchContext(session, location, ctx_settings, "", NOW)
        with pytest.raises(ProviderError) as err:
            await IcsCalendar(url).fetch(ctx)
        assert "s3cr3t" not in str(err.value)
        provider_server.on(
            "/private/s3cr3t-token/basic.ics",
            Reply(ics_fixture().encode(), content_type="text/calendar"),
        )
        got = await IcsCalendar(url).fetch(ctx)
    assert got.series["ics"][0].start == utc(2025, 11, 3, 18)


def test_the_ics_url_is_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[data_sources]\ncalendar_ics_url = "https://cal.example/private-abc/basic.ics"\n')
    config = load_config(path, env={})
    assert config.data_sources.calendar_ics_url.endswith("basic.ics")
    assert "private-abc" not in repr(config.data_sources)
    masked = to_toml_dict(config, mask_secrets=True)["data_sources"]["calendar_ics_url"]
    assert "private-abc" not in masked


FAST = Tuning(backoff_initial_s=0.05, backoff_max_s=0.2, jitter=0.0)


def ok(engine: DataSourcesEngine) -> Callable[[], bool]:
    return lambda: engine.source_status(Source.CALENDAR).state is SourceState.OK


def live_ics(now: datetime) -> bytes:
    """An ICS whose events sit just ahead of the real clock (the engine fetches for "now")."""

    def stamp(t: datetime) -> str:
        return t.strftime("%Y%m%dT%H%M%SZ")

    dentist, away = now + timedelta(hours=3), now + timedelta(days=2)
    done = dentist + timedelta(hours=1)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:{stamp(dentist)}\r\nDTEND:{stamp(done)}\r\n"
        "SUMMARY:Dentist (ICS)\r\nEND:VEVENT\r\n"
        f"BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:{away:%Y%m%d}\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()


async def until(predicate: Callable[[], bool]) -> None:
    import asyncio

    async with asyncio.timeout(15):  # bounds a broken test only
        while not predicate():
            await asyncio.sleep(0.02)


async def test_an_ics_url_alone_feeds_the_calendar(tmp_path: Path, provider_server: ProviderServer) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    provider_server.on("/family.ics", Reply(live_ics(now), content_type="text/calendar"))
    ics_url = provider_server.url + "/family.ics"
    config = AppConfig(
        home_assistant=HomeAssistantConfig(token=""),  # no HA token: HA's calendars cannot be read
        data_sources=replace(DataSourcesConfig(), **OFF, calendar_ics_url=ics_url, timeout_s=2.0),
    )
    calendar = calendar_for(config, demo=False)
    assert calendar is not None and calendar.label == "ics"
    engine = DataSourcesEngine(
        config.data_sources, tmp_path, DEMO_LOCATION, tuning=FAST, rng=random.Random(1), calendar=calendar
    )
    await engine.start()
    try:
        await until(ok(engine))
        assert engine.source_status(Source.CALENDAR).provider == "ics"
        events = engine.upcoming_events(now, now + timedelta(days=7))
        assert events[0] == (
            Slot(now + timedelta(hours=3), now + timedelta(hours=4), 1.0, "event"),
            "Dentist (ICS)",
            "ics",
        )
        assert [what for _, what, _ in events] == ["Dentist (ICS)", "Holiday"]
        assert engine.current(Source.CALENDAR)["next"][0]["summary"] == "Dentist (ICS)"
        # the tab's calendar card: the next event as its headline, the others listed below
        status = engine.source_status(Source.CALENDAR)
        assert headline(engine, Source.CALENDAR, status)[0] == "Dentist (ICS)"
        assert [what for _, what in event_lines(engine, now)] == ["Holiday"]
        assert PROVIDER_NAMES[status.provider] == "ICS calendar"
    finally:
        await engine.stop()


async def test_ics_events_join_home_assistant_calendars(
    tmp_path: Path, provider_server: ProviderServer
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now + timedelta(hours=1), now + timedelta(hours=2)
    ha_event = {
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": end.isoformat()},
        "summary": "Piano",
    }
    provider_server.on("/api/calendars", Reply(b'[{"entity_id": "calendar.family", "name": "Family"}]'))
    provider_server.on("/api/calendars/calendar.family", Reply(orjson.dumps([ha_event])))
    provider_server.on("/family.ics", Reply(live_ics(now), content_type="text/calendar"))
    cfg = replace(DataSourcesConfig(), **OFF, timeout_s=2.0)
    calendar = HaCalendar(
        provider_server.url, "ha-token", ics=IcsCalendar(provider_server.url + "/family.ics")
    )
    engine = DataSourcesEngine(
        cfg, tmp_path, DEMO_LOCATION, tuning=FAST, rng=random.Random(1), calendar=calendar
    )
    await engine.start()
    try:
        await until(ok(engine))
        assert engine.source_status(Source.CALENDAR).provider == "home_assistant+ics"
        events = engine.upcoming_events(now, now + timedelta(days=7))
        assert [(what, cal) for _, what, cal in events] == [
            ("Piano", "calendar.family"),
            ("Dentist (ICS)", "ics"),
            ("Holiday", "ics"),
        ]
        stored = await engine.history(Source.CALENDAR, "ics", now, now + timedelta(days=7))
        assert len(stored) == 2  # in sources.db too, so a restart shows them offline
    finally:
        await engine.stop()
