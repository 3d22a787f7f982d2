"""Warranty arithmetic: pure, dates only (no session, no clock).

A warranty of N months bought on day D covers D up to the day before the same
date N months later (bought 2026-01-15 with 12 months: covered to 2027-01-14);
a date the last month lacks is clamped to its end (bought 31 March, one month:
covered to 29 April). The last
day counts as in warranty. "Today" is the desk's local day (`desk.timezone`),
which the caller works out with `local_today`."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

STATES = ("in", "expired", "unknown")
MONTHS_MAX = 1200  # a hundred years: anything longer is a typo


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of(purchased: date | None, months: int | None, end: date | None) -> date | None:
    """The last day covered: `end` when given, else purchase + months - 1 day, else unknown."""
    if end is not None:
        return end
    if purchased is None or months is None:
        return None
    if months <= 0:
        return purchased - timedelta(days=1)  # no warranty at all
    return add_months(purchased, months) - timedelta(days=1)


def state(end: date | None, today: date) -> str:
    """in (the last day counts), expired, or unknown (no end known)."""
    if end is None:
        return "unknown"
    return "in" if today <= end else "expired"


def days_left(end: date | None, today: date) -> int | None:
    """Days from today to the last covered day (0 = today is the last day; negative once expired)."""
    return None if end is None else (end - today).days


def local_today(now: datetime, zone: ZoneInfo | timezone) -> date:
    """The desk's calendar day at `now` (an aware instant)."""
    return now.astimezone(zone).date()
