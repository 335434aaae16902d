"""Display formatting only: every function turns a real value into text, and `None` into a dash."""

from __future__ import annotations

import time
from datetime import datetime

DASH = "—"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return DASH
    return f"{value:,.{digits}f}"


def rate(value: float | None, unit: str = "/s") -> str:
    if value is None:
        return DASH
    digits = 2 if 0 < abs(value) < 1 else 1 if 0 < abs(value) < 10 else 0
    return f"{value:,.{digits}f}{unit}"


def ms(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    s = int(max(0, seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def age(t: float | None, now: float | None = None) -> str:
    """'12 s ago' from a wall-clock timestamp."""
    if t is None:
        return DASH
    return f"{duration((now or time.time()) - t)} ago"


def size(n: float | None) -> str:
    if n is None:
        return DASH
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return DASH


def percent(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:.{digits}f} %"


def clock(t: datetime | float | None, with_ms: bool = False) -> str:
    """Local time of day (with the date when it is not today)."""
    if t is None:
        return DASH
    dt = datetime.fromtimestamp(t) if isinstance(t, int | float) else t.astimezone()
    fmt = "%H:%M:%S.%f" if with_ms else "%H:%M:%S"
    text = dt.strftime(fmt)[:-3] if with_ms else dt.strftime(fmt)
    return text if dt.date() == datetime.now().date() else f"{dt:%Y-%m-%d} {text}"


def text(value: object) -> str:
    return DASH if value is None or value == "" else str(value)
