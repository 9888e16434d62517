"""Timestamps: every time the monitor stores or compares is an aware UTC datetime or its ISO-8601 text."""

from __future__ import annotations

import datetime as dt

__all__ = ["parse_utc", "to_iso", "day", "days_between"]


def parse_utc(value: dt.datetime | dt.date | str) -> dt.datetime:
    """An aware UTC datetime from a datetime (naive ones are taken as UTC), a date (its midnight) or ISO text."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    elif not isinstance(value, dt.datetime):
        if not isinstance(value, dt.date):
            raise TypeError(f"expected a datetime, a date or ISO-8601 text, got {type(value).__name__}")
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def to_iso(value: dt.datetime | dt.date | str | None) -> str | None:
    """ISO-8601 UTC text (``2026-01-05T06:00:00+00:00``), or None for None."""
    return None if value is None else parse_utc(value).isoformat()


def day(value: dt.datetime | dt.date | str) -> str:
    """The UTC calendar day, ``YYYY-MM-DD``."""
    return parse_utc(value).strftime("%Y-%m-%d")


def days_between(start: dt.datetime | dt.date | str, end: dt.datetime | dt.date | str) -> float:
    """Days from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    return (parse_utc(end) - parse_utc(start)).total_seconds() / 86400
