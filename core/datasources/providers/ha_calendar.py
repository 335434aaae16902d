"""Home Assistant calendars over HA's REST API, with the HA token: `GET /api/calendars` lists the
calendar entities, `GET /api/calendars/{entity_id}?start=&end=` their events. An event's start and
end are `{"dateTime": "...+01:00"}` or, all day, `{"date": "2025-11-03"}` (end exclusive), taken
in the home's local time. Each calendar is one series of slots (value 1 = the event is on; its
summary is the slot's label), so "away" or "holiday" periods reach the energy engine as slots.
An optional ICS URL (providers/ics.py) joins them as one more calendar, series "ics"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

from core.datasources.model import Fetched, NotConfigured, ProviderError, Source
from core.datasources.providers.base import FetchContext, request
from core.datasources.providers.ics import SERIES as ICS_SERIES
from core.datasources.providers.ics import IcsCalendar, to_slots
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

    def __init__(
        self, url: str, token: str, entities: tuple[str, ...] = (), *, ics: IcsCalendar | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.entities = entities
        self.ics = ics  # an ICS URL's events join HA's as one more calendar (series "ics")

    @property
    def label(self) -> str:
        """The provider name shown for the calendar source."""
        parts = (["home_assistant"] if self.url and self.token else []) + (["ics"] if self.ics else [])
        return "+".join(parts) or "home_assistant"

    async def fetch(self, ctx: FetchContext) -> Fetched:
        if not (self.url and self.token) and self.ics is None:
            raise NotConfigured("no Home Assistant URL and token (or ICS URL) for calendars")
        series: dict[str, tuple[Slot, ...]] = {}
        labels: dict[str, dict[datetime, str]] = {}
        upcoming: list[tuple[datetime, str, str]] = []
        calendars: list[dict[str, str]] = []
        if self.url and self.token:
            await self._fetch_ha(ctx, series, labels, upcoming, calendars)
        if self.ics is not None:  # one failing source fails the fetch: the cache keeps both as they were
            slots, words = to_slots(await self.ics.events(ctx), ctx.now, ctx.now + AHEAD)
            series[ICS_SERIES], labels[ICS_SERIES] = tuple(slots), words
            upcoming += [(s.start, words[s.start], "ICS calendar") for s in slots]
            calendars.append({"entity_id": ICS_SERIES, "name": "ICS calendar"})
        upcoming.sort()
        current = {
            "calendars": calendars,
            "next": [
                {"start": t.isoformat(), "summary": what, "calendar": cal} for t, what, cal in upcoming[:5]
            ],
        }
        # Replaces the whole window: an event deleted in HA (or a calendar now empty) disappears here too.
        return Fetched(series=series, labels=labels, current=current, replace_span=(ctx.now, ctx.now + AHEAD))

    async def _fetch_ha(
        self,
        ctx: FetchContext,
        series: dict[str, tuple[Slot, ...]],
        labels: dict[str, dict[datetime, str]],
        upcoming: list[tuple[datetime, str, str]],
        calendars: list[dict[str, str]],
    ) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        listed = (await request(ctx, self.url + "/api/calendars", headers=headers)).json()
        if not isinstance(listed, list):
            raise ProviderError("unexpected body: /api/calendars is not a list")
        names = {
            str(c["entity_id"]): str(c.get("name") or c["entity_id"]) for c in listed if "entity_id" in c
        }
        wanted = [e for e in names if not self.entities or e in self.entities]
        params = {"start": ctx.now.isoformat(), "end": (ctx.now + AHEAD).isoformat()}
        calendars += [{"entity_id": e, "name": names[e]} for e in wanted]
        for entity in wanted:
            resp = await request(ctx, f"{self.url}/api/calendars/{entity}", params=params, headers=headers)
            slots, words = parse_events(resp.json())
            series[entity], labels[entity] = tuple(slots), words
            upcoming += [(s.start, words[s.start], names[entity]) for s in slots if s.end > ctx.now]
