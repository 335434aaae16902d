"""A calendar from an iCalendar (ICS) URL, besides or instead of Home Assistant's calendars.

A small parser of what calendars publish for upcoming events, not a full RFC 5545 reader:
unfolded lines; VEVENTs with DTSTART/DTEND (or DURATION) as UTC `...Z`, with `TZID=` (an IANA
zone; an unknown one, like Outlook's Windows names, falls back to the home's zone), floating
(the home's local time) or all-day `VALUE=DATE` (local midnights, DTEND exclusive, one day when
absent); SUMMARY with its escapes; STATUS:CANCELLED skipped. RRULE is NOT expanded: a recurring
event shows only its first occurrence (DTSTART), as do the RECURRENCE-ID overrides it carries.
A library (icalendar + recurring-ical-events) would add recurrence; until then this stays ~100
lines with no dependency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.datasources.model import Fetched, ProviderError, Source
from core.datasources.providers.base import FetchContext, request
from core.slots import Slot

SERIES = "ics"  # the series (and the "calendar" of upcoming_events) of ICS events
UNIT = "event"
_DURATION = re.compile(r"^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


@dataclass(frozen=True, slots=True)
class IcsEvent:
    start: datetime  # aware UTC
    end: datetime  # exclusive
    summary: str
    recurring: bool = False  # has an RRULE we did not expand


@dataclass(frozen=True, slots=True)
class _Prop:
    name: str
    params: dict[str, str]
    value: str


def _lines(text: str) -> list[str]:
    """Unfold: a line starting with a space or tab continues the previous one (RFC 5545 3.1)."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and out:
            out[-1] += raw[1:]
        elif raw:
            out.append(raw)
    return out


def _prop(line: str) -> _Prop:
    head, _, value = line.partition(":")  # a parameter value may be quoted; ours never hold ':'
    name, *params = head.split(";")
    pairs = dict(p.split("=", 1) for p in params if "=" in p)
    return _Prop(name.upper(), {k.upper(): v.strip('"') for k, v in pairs.items()}, value)


def _zone(name: str | None, home: ZoneInfo) -> ZoneInfo:
    if not name:
        return home
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return home


def _moment(prop: _Prop, home: ZoneInfo) -> tuple[datetime, bool]:
    """A DTSTART/DTEND to aware UTC, and whether it was a DATE (all day)."""
    value = prop.value.strip()
    try:
        if prop.params.get("VALUE", "").upper() == "DATE" or len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            return datetime.combine(day, time(0), home).astimezone(UTC), True
        if value.endswith("Z"):
            return datetime.strptime(value[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC), False
        naive = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError:
        raise ProviderError(f"unreadable {prop.name} {value[:40]!r}") from None
    return naive.replace(tzinfo=_zone(prop.params.get("TZID"), home)).astimezone(UTC), False


def _duration(text: str) -> timedelta | None:
    m = _DURATION.match(text.strip())
    if not m:
        return None
    w, d, h, mi, s = (int(x or 0) for x in m.groups()[1:])
    span = timedelta(weeks=w, days=d, hours=h, minutes=mi, seconds=s)
    return -span if m.group(1) == "-" else span


def _text(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _event(props: list[_Prop], home: ZoneInfo) -> IcsEvent | None:
    by = {p.name: p for p in props}
    if "DTSTART" not in by or by.get("STATUS", _Prop("", {}, "")).value.upper() == "CANCELLED":
        return None
    start, all_day = _moment(by["DTSTART"], home)
    if "DTEND" in by:
        end = _moment(by["DTEND"], home)[0]
    elif "DURATION" in by and (span := _duration(by["DURATION"].value)) is not None:
        end = start + span
    elif all_day:  # RFC 5545: a DATE start alone lasts the day (23 or 25 h on a clock change)
        local = start.astimezone(home).date() + timedelta(days=1)
        end = datetime.combine(local, time(0), home).astimezone(UTC)
    else:  # a DATE-TIME start alone is an instant: no time to show as "on"
        end = start
    summary = _text(by["SUMMARY"].value).strip() if "SUMMARY" in by else ""
    return IcsEvent(start, end, summary or "(no title)", recurring="RRULE" in by)


def parse_ics(text: str, home_zone: str) -> list[IcsEvent]:
    """Every VEVENT of an iCalendar text, by start (events with no length are skipped)."""
    if "BEGIN:VCALENDAR" not in text[:2048].upper():
        raise ProviderError("not an iCalendar file (no BEGIN:VCALENDAR)")
    home = _zone(home_zone, ZoneInfo("UTC"))
    events: list[IcsEvent] = []
    current: list[_Prop] | None = None
    depth = 0  # VALARM inside a VEVENT has its own properties: skip them
    for line in _lines(text):
        prop = _prop(line)
        if prop.name == "BEGIN" and prop.value.upper() == "VEVENT":
            current, depth = [], 0
        elif prop.name == "BEGIN" and current is not None:
            depth += 1
        elif prop.name == "END" and current is not None and depth:
            depth -= 1
        elif prop.name == "END" and prop.value.upper() == "VEVENT" and current is not None:
            event = _event(current, home)
            if event is not None and event.end > event.start:
                events.append(event)
            current = None
        elif current is not None and not depth:
            current.append(prop)
    return sorted(events, key=lambda e: e.start)


def to_slots(
    events: list[IcsEvent], start: datetime, end: datetime
) -> tuple[list[Slot], dict[datetime, str]]:
    """The events overlapping [start, end) as calendar slots (value 1 = on; the summary as label).
    Two events starting at the same moment share one slot, their summaries joined."""
    slots: dict[datetime, Slot] = {}
    labels: dict[datetime, str] = {}
    for e in events:
        if e.end <= start or e.start >= end:
            continue
        if e.start in slots:
            labels[e.start] = f"{labels[e.start]} · {e.summary}"[:120]
            longer = max(slots[e.start].end, e.end)
            slots[e.start] = Slot(e.start, longer, 1.0, UNIT)
            continue
        slots[e.start] = Slot(e.start, e.end, 1.0, UNIT)
        labels[e.start] = e.summary[:120]
    return sorted(slots.values(), key=lambda s: s.start), labels


class IcsCalendar:
    """Fetches one ICS URL; the URL may embed a private token, so it never appears in messages."""

    name: ClassVar[str] = "ics"
    source: ClassVar[Source] = Source.CALENDAR
    default_url: ClassVar[str] = ""
    interval: ClassVar[timedelta] = timedelta(minutes=15)

    def __init__(self, url: str) -> None:
        self.url = url

    async def events(self, ctx: FetchContext) -> list[IcsEvent]:
        resp = await request(ctx, self.url, headers={"Accept": "text/calendar"})
        return parse_ics(resp.body.decode("utf-8", errors="replace"), ctx.location.time_zone)

    async def fetch(self, ctx: FetchContext, ahead: timedelta = timedelta(days=7)) -> Fetched:
        slots, labels = to_slots(await self.events(ctx), ctx.now, ctx.now + ahead)
        return Fetched(
            series={SERIES: tuple(slots)},
            labels={SERIES: labels},
            current={"calendars": [{"entity_id": SERIES, "name": "ICS calendar"}]},
            replace_span=(ctx.now, ctx.now + ahead),
        )
