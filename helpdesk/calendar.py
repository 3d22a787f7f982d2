"""Business calendars and business-time arithmetic (pure: no I/O, no clock).

A calendar says when the team works: weekly hours in its own IANA zone, minus
holidays (explicit ones and a country's public holidays from the `holidays`
package), plus make-up working days.

Business time is the real time that passes while the calendar's wall clock
reads a working range of a working day. That keeps it exact to the second
across daylight-saving changes: a range spanning the skipped hour is an hour
shorter that day, one spanning the repeated hour an hour longer, and a range
inside the repeated hour counts both times the clock shows it.

Day rules, first that applies wins: an explicit holiday is closed; an explicit
workday uses `workday_hours` (else Monday's hours); a public holiday of
`holiday_country` is closed; a make-up working day the `holidays` package
knows for that country works like an explicit workday; otherwise the
weekday's hours.

Arithmetic walks working intervals day by day (cached per date), never second
by second, and gives up after SEARCH_LIMIT_DAYS with an `Invalid` error.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS = "24x7"
SEARCH_LIMIT_DAYS = 3 * 366
CALENDAR_KEYS = ("timezone", "hours", "holidays", "holiday_country", "holiday_subdiv",
                 "workdays", "workday_hours")

Range = tuple[int, int]  # seconds since local midnight, end exclusive; 86400 is 24:00
Interval = tuple[datetime, datetime]  # UTC, end exclusive

ONE_SECOND = timedelta(seconds=1)
ONE_DAY = timedelta(days=1)
_EPOCH_DAY = date(1970, 1, 1)
_SAMPLE_STEP = 3 * 3600  # offsets are sampled this often; real zones never change twice within it
_WINDOW = 15 * 3600  # UTC offsets lie within -12h..+14h, so one local day fits in +-15h
_MAX_CACHED_DAYS = 20_000
_RANGE_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Calendar:
    name: str
    timezone: str
    week: tuple[tuple[Range, ...], ...]  # Monday first; () means closed
    always: bool = False  # written as hours = "24x7"
    holidays: frozenset[date] = frozenset()
    holiday_country: str | None = None
    holiday_subdiv: str | None = None
    workdays: frozenset[date] = frozenset()
    workday_hours: tuple[Range, ...] | None = None
    # Per-date intervals and the country's holiday table, filled lazily.
    _memo: dict = field(default_factory=dict, init=False, compare=False, repr=False, hash=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The wall-clock working ranges of a local date (see the module docstring)."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self._workday_ranges()
        country = self._country_holidays()
        if country is not None:
            if day in country:
                return ()
            if day in country.weekend_workdays:
                return self._workday_ranges()
        return self.week[day.weekday()]

    def _workday_ranges(self) -> tuple[Range, ...]:
        return self.workday_hours if self.workday_hours is not None else self.week[0]

    def _country_holidays(self) -> Any:
        if not self.holiday_country:
            return None
        if "country" not in self._memo:
            self._memo["country"] = country_holidays(self.holiday_country, self.holiday_subdiv)
        return self._memo["country"]

    def to_table(self) -> dict[str, Any]:
        """The TOML-shaped table this calendar was loaded from (JSON-serialisable)."""
        table: dict[str, Any] = {"timezone": self.timezone}
        if self.always:
            table["hours"] = ALWAYS
        else:
            table["hours"] = {d: format_ranges(r) for d, r in zip(DAYS, self.week) if r}
        if self.holidays:
            table["holidays"] = sorted(d.isoformat() for d in self.holidays)
        if self.holiday_country:
            table["holiday_country"] = self.holiday_country
        if self.holiday_subdiv:
            table["holiday_subdiv"] = self.holiday_subdiv
        if self.workdays:
            table["workdays"] = sorted(d.isoformat() for d in self.workdays)
        if self.workday_hours is not None:
            table["workday_hours"] = format_ranges(self.workday_hours)
        return table


# --- arithmetic ------------------------------------------------------------


def working_intervals(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    """The UTC instants whose local wall time is a working moment of `day`."""
    memo = calendar._memo.setdefault("days", {})
    found = memo.get(day)
    if found is None:
        if len(memo) > _MAX_CACHED_DAYS:
            memo.clear()
        found = memo[day] = _compute_intervals(calendar, day)
    return found


def is_working_time(calendar: Calendar, at: datetime) -> bool:
    at = _utc(at, "at")
    local_day = at.astimezone(calendar.zone).date()
    return any(
        a <= at < b
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1))
        for a, b in working_intervals(calendar, day)
    )


def add_business_time(calendar: Calendar, start: datetime, seconds: int) -> datetime:
    """The instant `seconds` of business time after `start` (UTC).

    A start outside working time counts from the next opening; a target that
    runs out exactly at the end of a working period falls due at that end.
    """
    if seconds < 0:
        raise ValueError(f"business time to add must be >= 0, got {seconds}")
    start = _utc(start, "start")
    left = timedelta(seconds=seconds)
    first = start.astimezone(calendar.zone).date() - timedelta(days=1)
    for offset in range(SEARCH_LIMIT_DAYS):
        for a, b in working_intervals(calendar, first + timedelta(days=offset)):
            if b <= start:
                continue
            a = max(a, start)
            if left <= b - a:
                return a + left
            left -= b - a
    raise Invalid(
        f"no room for {seconds}s of business time within {SEARCH_LIMIT_DAYS} days "
        f"after {start.isoformat()} (check its hours, holidays and workdays)",
        field=f"calendars.{calendar.name}",
    )


def business_seconds_between(calendar: Calendar, a: datetime, b: datetime) -> int:
    """Business seconds from `a` to `b`; negative (the reverse, negated) when b < a."""
    a, b = _utc(a, "a"), _utc(b, "b")
    if b < a:
        return -business_seconds_between(calendar, b, a)
    zone = calendar.zone
    first, last = a.astimezone(zone).date(), b.astimezone(zone).date()
    if (last - first).days < 4:
        return _clipped_seconds(calendar, first - ONE_DAY, last + ONE_DAY, a, b)
    # A day's intervals lie within its own local day: the days strictly between the
    # two ends count whole, from running totals (a ticket open for years is O(1)).
    before = _running_total(calendar, first + ONE_DAY)  # the earlier day first: it may move the table
    whole = _running_total(calendar, last) - before
    return (whole + _clipped_seconds(calendar, first - ONE_DAY, first, a, b)
            + _clipped_seconds(calendar, last, last + ONE_DAY, a, b))


def _clipped_seconds(calendar: Calendar, day: date, last: date, a: datetime, b: datetime) -> int:
    """Business seconds within [a, b) of the working intervals of the days day..last."""
    total = timedelta()
    while day <= last:
        for start, end in working_intervals(calendar, day):
            lo, hi = max(start, a), min(end, b)
            if lo < hi:
                total += hi - lo
        day += ONE_DAY
    return total // ONE_SECOND


def _running_total(calendar: Calendar, day: date) -> int:
    """Business seconds of the whole days from the table's first day up to, not
    including, `day`; the table grows (or starts earlier) as days are asked for."""
    table = calendar._memo.get("totals")
    if table is None or day < table[0]:
        anchor = day - timedelta(days=366)
        table = calendar._memo["totals"] = (anchor, [0])
    anchor, totals = table
    index = (day - anchor).days
    while len(totals) <= index:
        start = anchor + timedelta(days=len(totals) - 1)
        seconds = sum((end - begin) // ONE_SECOND for begin, end in working_intervals(calendar, start))
        totals.append(totals[-1] + seconds)
    return totals[index]


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(timezone.utc)


def _compute_intervals(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    ranges = calendar.ranges_on(day)
    if not ranges:
        return ()
    midnight = (day - _EPOCH_DAY).days * 86400  # local midnight, as if the wall clock were UTC
    pieces = _offset_pieces(calendar.zone, midnight - _WINDOW, midnight + 86400 + _WINDOW)
    found = sorted(
        (max(lo, midnight + start - offset), min(hi, midnight + end - offset))
        for start, end in ranges
        for lo, hi, offset in pieces
    )
    spans: list[list[int]] = []
    for a, b in found:
        if a >= b:
            continue
        if spans and spans[-1][1] == a:
            spans[-1][1] = b  # one working stretch, split by an offset change or adjacent ranges
        else:
            spans.append([a, b])
    return tuple((_instant(a), _instant(b)) for a, b in spans)


def _offset_pieces(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Split [lo, hi) (epoch seconds) into pieces of constant UTC offset."""
    pieces = []
    start, offset = lo, _offset(zone, lo)
    probe = lo
    while probe < hi:
        nxt = min(probe + _SAMPLE_STEP, hi)
        if _offset(zone, nxt) != offset:
            change = _first_change(zone, probe, nxt, offset)
            pieces.append((start, change, offset))
            start, offset = change, _offset(zone, change)
            nxt = change
        probe = nxt
    pieces.append((start, hi, offset))
    return pieces


def _first_change(zone: ZoneInfo, lo: int, hi: int, offset: int) -> int:
    """The first second in (lo, hi] whose offset differs from `offset` (at lo)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(zone, mid) == offset:
            lo = mid
        else:
            hi = mid
    return hi


def _offset(zone: ZoneInfo, epoch: int) -> int:
    return int(datetime.fromtimestamp(epoch, zone).utcoffset().total_seconds())


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


# --- parsing ---------------------------------------------------------------


def calendar_from_table(name: str, table: Any) -> Calendar:
    """Validate one `[calendars.NAME]` table; `Invalid` names the key and the problem."""
    where = f"calendars.{name}"
    if not isinstance(table, dict):
        raise Invalid("must be a table", field=where)
    reject_unknown_keys(table, CALENDAR_KEYS, where)
    tz = _parse_timezone(table.get("timezone"), where)
    always, week = _parse_week(table.get("hours"), where)
    holidays = _parse_dates(table.get("holidays", []), f"{where}: holidays")
    workdays = _parse_dates(table.get("workdays", []), f"{where}: workdays")
    both = sorted(holidays & workdays)
    if both:
        raise Invalid(f"{both[0].isoformat()} is both a holiday and a workday", field=where)
    workday_hours = None
    if "workday_hours" in table:
        workday_hours = parse_ranges(table["workday_hours"], f"{where}: workday_hours")
        if not workday_hours:
            raise Invalid("must not be empty", field=f"{where}: workday_hours")
    country, subdiv = _parse_country(table, where)
    if not any(week) and not (workdays and (workday_hours or week[0])):
        raise Invalid("no working time at all (set hours, or workdays with workday_hours)",
                      field=where)
    return Calendar(name=name, timezone=tz, week=week, always=always, holidays=holidays,
                    holiday_country=country, holiday_subdiv=subdiv, workdays=workdays,
                    workday_hours=workday_hours)


def reject_unknown_keys(table: dict, allowed: tuple[str, ...], where: str) -> None:
    """Typos must not be silently ignored: name the key and suggest the likely one."""
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(allowed)})"
            raise Invalid(f"unknown key '{key}'{hint}", field=where)


def parse_ranges(text: Any, where: str) -> tuple[Range, ...]:
    """'09:00-12:00,13:00-18:00' -> ((32400, 43200), (46800, 64800))."""
    if not isinstance(text, str):
        raise Invalid(f"must be a string like \"09:00-12:00,13:00-18:00\", got {text!r}",
                      field=where)
    ranges = sorted(_parse_range(part.strip(), where) for part in text.split(",") if part.strip())
    for (s1, e1), (s2, e2) in zip(ranges, ranges[1:]):
        if s2 < e1:
            first, second = format_ranges([(s1, e1)]), format_ranges([(s2, e2)])
            raise Invalid(f"ranges {first} and {second} overlap", field=where)
    return tuple(ranges)


def format_ranges(ranges: Any) -> str:
    return ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in ranges)


def parse_date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_RE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"bad date {value!r} (use YYYY-MM-DD)", field=where)


def country_holidays(country: str, subdiv: str | None) -> Any:
    import holidays  # heavy-ish import, only for calendars that use it

    return holidays.country_holidays(country, subdiv=subdiv)


def _parse_range(part: str, where: str) -> Range:
    match = _RANGE_RE.match(part)
    if not match:
        raise Invalid(f"bad hours range '{part}' (use HH:MM-HH:MM, e.g. 09:00-18:00)", field=where)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise Invalid(f"bad time in '{part}' (hours 00-23, minutes 00-59, or 24:00 as an end)",
                      field=where)
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if end <= start:
        raise Invalid(f"range '{part}' ends before it starts (split overnight shifts across "
                      f"two days: ...-24:00 and 00:00-...)", field=where)
    return start, end


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _parse_timezone(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("missing timezone (an IANA name such as \"Europe/Berlin\")",
                      field=f"{where}: timezone")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone '{value}' (use an IANA name such as \"Asia/Shanghai\")",
                      field=f"{where}: timezone") from None
    return value


def _parse_week(hours: Any, where: str) -> tuple[bool, tuple[tuple[Range, ...], ...]]:
    if hours == ALWAYS:
        return True, tuple(((0, 86400),) for _ in DAYS)
    if not isinstance(hours, dict):
        raise Invalid(f"must be \"{ALWAYS}\" or a table like {{ mon = \"09:00-18:00\" }}, "
                      f"got {hours!r}", field=f"{where}: hours")
    week: list[tuple[Range, ...]] = [() for _ in DAYS]
    for key, text in hours.items():
        day = _day_index(key, f"{where}: hours")
        week[day] = parse_ranges(text, f"{where}: hours.{key}")
    return False, tuple(week)


def _day_index(key: Any, where: str) -> int:
    name = str(key).lower()
    if name in DAYS:
        return DAYS.index(name)
    if name in FULL_DAY_NAMES:
        return FULL_DAY_NAMES.index(name)
    raise Invalid(f"unknown day '{key}' (use {', '.join(DAYS)})", field=where)


def _parse_dates(values: Any, where: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise Invalid(f"must be a list of dates like [\"2026-10-01\"], got {values!r}", field=where)
    return frozenset(parse_date(v, where) for v in values)


def _parse_country(table: dict, where: str) -> tuple[str | None, str | None]:
    country, subdiv = table.get("holiday_country"), table.get("holiday_subdiv")
    if country is None:
        if subdiv is not None:
            raise Invalid("needs holiday_country too", field=f"{where}: holiday_subdiv")
        return None, None
    if not isinstance(country, str) or not country:
        raise Invalid(f"must be a country code like \"CN\", got {country!r}",
                      field=f"{where}: holiday_country")
    if subdiv is not None and (not isinstance(subdiv, str) or not subdiv):
        raise Invalid(f"must be a subdivision code like \"CA\", got {subdiv!r}",
                      field=f"{where}: holiday_subdiv")
    country = country.upper()
    try:
        country_holidays(country, subdiv)
    except NotImplementedError as exc:
        key = "holiday_subdiv" if subdiv and "subdivision" in str(exc) else "holiday_country"
        raise Invalid(f"not supported by the holidays package: {exc}",
                      field=f"{where}: {key}") from None
    return country, subdiv
