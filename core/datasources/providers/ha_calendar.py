"""Home Assistant calendars over HA's REST API, with the HA token: `GET /api/calendars` lists the
calendar entities, `GET /api/calendars/{entity_id}?start=&end=` their events. An event's start and
end are `{"dateTime": "...+01:00"}` or, all day, `{"date": "2025-11-03"}` (end exclusive), taken
in the home's local time. Each calendar is one series of slots (value 1 = the event is on; its
summary is the slot's label), so "away" or "holiday" periods reach the energy engine as slots."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, NotConfigured, ProviderError, Source
from core.datasources.providers.base import FetchContext, request
from core.datasources.timeparse import utc_iso
from core.slots import Slot

AHEAD = timedelta(days=7)
UNIT = "event"


def _moment(value: Any) -> datetime:
    if not isinstance(value, dict):
        raise ProviderError("unexpected event time")
    if "dateTime" in value:
        return utc_iso(str(value["dateTime"]))
    day = date.fromisoformat(str(value["date"]))
    return datetime.combine(day, time(0)).astimezone().astimezone(UTC)  # local midnight


def parse_events(rows: Any) -> tuple[list[Slot], dict[datetime, str]]:
    if not isinstance(rows, list):
        raise ProviderError("unexpected body: events are not a list")
    slots: list[Slot] = []
    labels: dict[datetime, str] = {}
    for row in rows:
        start, end = _moment(row.get("start")), _moment(row.get("end"))
        if end <= start:
            continue
        slots.append(Slot(start, end, 1.0, UNIT))
        labels[start] = str(row.get("summary") or "(no title)")[:120]
    slots.sort(key=lambda s: s.start)
    return slots, labels


class HaCalendar:
    name: ClassVar[str] = "home_assistant"
    source: ClassVar[Source] = Source.CALENDAR
    default_url: ClassVar[str] = ""  # HA's URL, given at construction
    interval: ClassVar[timedelta] = timedelta(minutes=15)

    def __init__(self, url: str, token: str, entities: tuple[str, ...] = ()) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.entities = entities

    async def fetch(self, ctx: FetchContext) -> Fetched:
        if not self.url or not self.token:
            raise NotConfigured("no Home Assistant URL and token for its calendars")
        headers = {"Authorization": f"Bearer {self.token}"}
        listed = (await request(ctx, self.url + "/api/calendars", headers=headers)).json()
        if not isinstance(listed, list):
            raise ProviderError("unexpected body: /api/calendars is not a list")
        names = {
            str(c["entity_id"]): str(c.get("name") or c["entity_id"]) for c in listed if "entity_id" in c
        }
        wanted = [e for e in names if not self.entities or e in self.entities]
        params = {"start": ctx.now.isoformat(), "end": (ctx.now + AHEAD).isoformat()}
        series: dict[str, tuple[Slot, ...]] = {}
        labels: dict[str, dict[datetime, str]] = {}
        upcoming: list[tuple[datetime, str, str]] = []
        for entity in wanted:
            resp = await request(ctx, f"{self.url}/api/calendars/{entity}", params=params, headers=headers)
            slots, words = parse_events(resp.json())
            series[entity], labels[entity] = tuple(slots), words
            upcoming += [(s.start, words[s.start], names[entity]) for s in slots if s.end > ctx.now]
        upcoming.sort()
        current = {
            "calendars": [{"entity_id": e, "name": names[e]} for e in wanted],
            "next": [
                {"start": t.isoformat(), "summary": what, "calendar": cal} for t, what, cal in upcoming[:5]
            ],
        }
        # Replaces the whole window: an event deleted in HA (or a calendar now empty) disappears here too.
        return Fetched(series=series, labels=labels, current=current, replace_span=(ctx.now, ctx.now + AHEAD))
