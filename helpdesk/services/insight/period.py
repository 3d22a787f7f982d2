"""Report periods: half-open UTC ranges [start, end) cut at midnights of `desk.timezone`.

`--period 2026-03` on a desk in Asia/Shanghai is 2026-02-28T16:00Z .. 2026-03-31T16:00Z:
a ticket created at 2026-02-28T16:00Z is in March, one at 2026-03-31T16:00Z is not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from helpdesk.errors import Invalid

PRESETS = ("today", "7d", "30d", "month")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    start: datetime | None  # None: from the first ticket
    end: datetime  # exclusive
    label: str
    whole: bool = False  # all of the history: no time condition at all
    def to_json(self) -> dict:
        return {"from": self.start.isoformat() if self.start else None, "to": self.end.isoformat(),
                "label": self.label}


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def named(text: str, *, tz: ZoneInfo, now: datetime) -> Period:
    """`--period`: 2026, 2026-03, 2026-03-05, or today / 7d / 30d / month (the dashboard's picker)."""
    value = (text or "").strip().lower()
    today = now.astimezone(tz).date()
    tonight = _midnight(today + timedelta(days=1), tz)  # presets run to the end of today: now included
    if value == "today":
        return Period(_midnight(today, tz), tonight, "today")
    if value in ("7d", "30d"):
        days = int(value[:-1])
        return Period(_midnight(today - timedelta(days=days - 1), tz), tonight, f"last {days} days")
    if value == "month":
        return Period(_midnight(today.replace(day=1), tz), tonight, today.strftime("%Y-%m") + " so far")
    try:
        if m := _MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            first = date(year, month, 1)
            after = date(year + (month == 12), month % 12 + 1, 1)
            return Period(_midnight(first, tz), _midnight(after, tz), value)
        if m := _YEAR.match(value):
            year = int(m[1])
            return Period(_midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz), value)
        if m := _DAY.match(value):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return Period(_midnight(day, tz), _midnight(day + timedelta(days=1), tz), value)
    except ValueError:
        pass
    raise Invalid(f"{text!r} is not a period (use 2026-03, 2026, 2026-03-05, today, 7d, 30d or month)",
                  field="period")


def moment(text: str, *, tz: ZoneInfo, field: str, end_of_day: bool = False) -> datetime:
    """A DATE (midnight in the desk's zone; with `end_of_day`, the next midnight: --to is
    inclusive) or an ISO time (a time without offset is read in the desk's zone)."""
    value = (text or "").strip()
    try:
        if _DAY.match(value):
            day = date.fromisoformat(value)
            return _midnight(day + timedelta(days=1) if end_of_day else day, tz)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{text!r} is not a date or time (use 2026-03-05 or 2026-03-05T14:30+08:00)",
                      field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(timezone.utc)


def resolve(*, period: str | None, start: str | None, end: str | None, tz: ZoneInfo, now: datetime) -> Period:
    """The period of the options: --period, or --from/--to (either may be left out), or all history."""
    if period and (start or end):
        raise Invalid("give either --period or --from/--to, not both", field="period")
    if period:
        return named(period, tz=tz, now=now)
    lo = moment(start, tz=tz, field="from") if start else None
    hi = moment(end, tz=tz, field="to", end_of_day=True) if end else now + timedelta(microseconds=1)
    if lo is not None and hi <= lo:
        raise Invalid(f"--to ({end or 'now'}) is not after --from ({start})", field="to")
    label = f"{start or 'start'} .. {end or 'now'}"
    return Period(lo, hi, label if (start or end) else "all time", whole=not (start or end))
