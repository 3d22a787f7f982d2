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

Arithmetic reads a per-calendar table of working intervals (epoch seconds with
running sums of business time, grown as searches reach further),
so either operation is a couple of bisects; it never steps second by second. A
search gives up after SEARCH_LIMIT_DAYS with an `Invalid` error.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left, bisect_right
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

_EPOCH_DAY = date(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH_DAY.toordinal()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SAMPLE_STEP = 3 * 3600  # offsets are sampled this often; real zones never change twice within it
_WINDOW = 15 * 3600  # UTC offsets lie within -12h..+14h, so one local day fits in +-15h
_MAX_CACHED_DAYS = 20_000
_MAX_TABLE_DAYS = 50_000  # ~137 years: a spreadsheet's 1899-12-30 "zero date" to now still fits
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
    s, micro = _epoch(start, "start")
    day = (s - _WINDOW) // 86400  # no later than start's local date
    table = calendar._memo.get("table")
    if table is None or not table.first <= day < table.last:
        table = _cover(calendar, day, day + 1)
    search_end = None
    while True:
        due = _due_in(table, s, micro, seconds)
        if table.last <= day + SEARCH_LIMIT_DAYS - 1:  # every tabled day is within the search
            if due is not None:
                return _instant(due[0], due[1])
        else:
            search_end = search_end or _search_end(calendar, start)
            last_day, closing = search_end
            if due is not None and (due[0] < closing or due[:2] == (closing, 0) and due[2] < closing):
                return _instant(due[0], due[1])  # (a period that ends at the closing is in)
            if due is not None or table.last > last_day:
                raise Invalid(
                    f"no room for {seconds}s of business time within {SEARCH_LIMIT_DAYS} days "
                    f"after {_utc(start, 'start').isoformat()} (check its hours, holidays and workdays)",
                    field=f"calendars.{calendar.name}",
                )
        table = _cover(calendar, day, table.last + 1)  # further, as the day walk would go


def _due_in(table: _Table, s: int, micro: int, seconds: int) -> tuple[int, int, int] | None:
    """When `seconds` of the table's business time after instant s (+ micro) run out:
    (epoch seconds, microseconds, the opening of that working interval), or None
    when the table ends first."""
    starts, cum = table.starts, table.cum
    i = bisect_right(table.ends, s)
    if i < len(starts) and starts[i] <= s:  # inside a working interval
        target = cum[i] + s - starts[i] + seconds
    else:  # count from the next opening, so the start's microseconds drop out
        micro, target = 0, cum[i] + seconds
    # the first interval whose end reaches the target (+ micro), one that ends exactly
    # there included: due at the end of a period, not at the next opening
    k = bisect_right(cum, target, i + 1) if micro else bisect_left(cum, target, i + 1)
    if k == len(cum):
        return None
    return starts[k - 1] + target - cum[k - 1], micro, starts[k - 1]


def _search_end(calendar: Calendar, start: datetime) -> tuple[int, int]:
    """The last local date (day number) a search from `start` may use, as the day walk
    did (start's local date -1 .. +SEARCH_LIMIT_DAYS-2), and the instant it closes."""
    last_day = _day_number(_utc(start, "start").astimezone(calendar.zone).date()) + SEARCH_LIMIT_DAYS - 2
    return last_day, _local_midnight(calendar.zone, last_day + 1)


def business_seconds_between(calendar: Calendar, a: datetime, b: datetime) -> int:
    """Business seconds from `a` to `b` (whole seconds, rounded down); negative
    (the reverse, negated) when b < a."""
    sa, ua = _epoch(a, "a")
    sb, ub = _epoch(b, "b")
    if (sb, ub) < (sa, ua):
        return -(_business_micros(calendar, sb, ub, sa, ua) // 1_000_000)
    return _business_micros(calendar, sa, ua, sb, ub) // 1_000_000


def _business_micros(calendar: Calendar, sa: int, ua: int, sb: int, ub: int) -> int:
    """Business microseconds from the instant sa (+ ua microseconds) to the later sb (+ ub)."""
    first, last = (sa - _WINDOW) // 86400, (sb + _WINDOW) // 86400 + 1  # around both local dates
    if last - first > _MAX_TABLE_DAYS:  # a span of centuries: in pieces, to bound the table
        middle = sa + _MAX_TABLE_DAYS // 2 * 86400
        return (_business_micros(calendar, sa, ua, middle, 0)
                + _business_micros(calendar, middle, 0, sb, ub))
    table = calendar._memo.get("table")
    if table is None or first < table.first or last > table.last:
        table = _cover(calendar, first, last)
    return _position(table, sb, ub) - _position(table, sa, ua)


def _position(table: _Table, s: int, micro: int) -> int:
    """Business microseconds from the table's start to the instant s (+ micro)."""
    i = bisect_right(table.ends, s)
    if i < len(table.starts) and table.starts[i] <= s:
        return (table.cum[i] + s - table.starts[i]) * 1_000_000 + micro
    return table.cum[i] * 1_000_000


class _Table:
    """The working intervals of the local dates first..last-1 (as day numbers), in
    epoch seconds, sorted, touching ones merged; cum[k] is the business seconds
    before interval k and cum[-1] the total. A local date's intervals lie within
    that date, so for an instant whose local date is tabled the business time
    since the table's start is a bisect away, exact to the second across DST.

    Never changed once in the memo: growing builds a new table and swaps it in,
    so threads sharing a calendar (TUI workers, the scheduler) need no lock."""

    __slots__ = ("cum", "ends", "first", "last", "starts")

    def __init__(self, first: int, last: int, starts: list[int], ends: list[int],
                 cum: list[int]) -> None:
        self.first, self.last, self.starts, self.ends, self.cum = first, last, starts, ends, cum


def _cover(calendar: Calendar, first: int, last: int) -> _Table:
    """The calendar's table, grown to hold the days first..last-1 (by an eighth more
    at least, so the copying stays cheap); beyond _MAX_TABLE_DAYS in all it starts
    afresh, so memory stays bounded whatever dates a sheet holds."""
    table = calendar._memo.get("table")
    if table is None or max(last, table.last) - min(first, table.first) > _MAX_TABLE_DAYS:
        table = _Table(first, first, [], [], [0])
    elif table.first <= first and last <= table.last:
        return table
    slack = (table.last - table.first) // 8
    lo, hi = min(first, table.first), max(last, table.last)
    if first < table.first:
        lo = max(min(first, table.first - slack), min(first, hi - _MAX_TABLE_DAYS))
    if last > table.last:
        hi = min(max(last, table.last + slack), max(last, lo + _MAX_TABLE_DAYS))
    starts: list[int] = []
    ends: list[int] = []
    cum = [0]
    for day in range(lo, table.first):
        _add_spans(starts, ends, cum, _compute_spans(calendar, _date(day)))
    if starts:
        _add_spans(starts, ends, cum, zip(table.starts, table.ends))  # cum restarts: only differences count
    else:
        starts, ends, cum = table.starts[:], table.ends[:], table.cum[:]
    for day in range(table.last, hi):
        _add_spans(starts, ends, cum, _compute_spans(calendar, _date(day)))
    table = calendar._memo["table"] = _Table(lo, hi, starts, ends, cum)
    return table


def _add_spans(starts: list[int], ends: list[int], cum: list[int], spans: Any) -> None:
    for a, b in spans:
        if ends and ends[-1] == a:  # e.g. 24x7 across midnight: one stretch
            ends[-1] = b
            cum[-1] += b - a
        else:
            starts.append(a)
            ends.append(b)
            cum.append(cum[-1] + b - a)


def _local_midnight(zone: ZoneInfo, day: int) -> int:
    """The first instant (epoch seconds) whose local date is `day` (a day number)."""
    midnight = day * 86400
    for lo, hi, offset in _offset_pieces(zone, midnight - _WINDOW, midnight + _WINDOW):
        at = max(lo, midnight - offset)
        if at < hi:
            return at
    raise AssertionError("a local date always begins within 15h of UTC midnight")


def _epoch(value: datetime, name: str) -> tuple[int, int]:
    """An aware instant as (epoch seconds, microseconds), exactly."""
    if value.tzinfo is not timezone.utc and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    since = value - _EPOCH
    return since.days * 86400 + since.seconds, since.microseconds


def _instant(epoch: int, micro: int = 0) -> datetime:
    at = datetime.fromtimestamp(epoch, timezone.utc)
    return at.replace(microsecond=micro) if micro else at


def _date(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


def _day_number(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value.astimezone(timezone.utc)


def _compute_intervals(calendar: Calendar, day: date) -> tuple[Interval, ...]:
    return tuple((_instant(a), _instant(b)) for a, b in _compute_spans(calendar, day))


def _compute_spans(calendar: Calendar, day: date) -> list[tuple[int, int]]:
    """A date's working intervals in epoch seconds, sorted, touching ones merged."""
    ranges = calendar.ranges_on(day)
    if not ranges:
        return []
    midnight = _day_number(day) * 86400  # local midnight, as if the wall clock were UTC
    pieces = _offset_pieces(calendar.zone, midnight - _WINDOW, midnight + 86400 + _WINDOW)
    found = sorted(
        (max(lo, midnight + start - offset), min(hi, midnight + end - offset))
        for start, end in ranges
        for lo, hi, offset in pieces
    )
    spans: list[tuple[int, int]] = []
    for a, b in found:
        if a >= b:
            continue
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)  # one working stretch, split by an offset change or adjacent ranges
        else:
            spans.append((a, b))
    return spans


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
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory ("America"), a name too long
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


def business_time_before(calendar: Calendar, end: datetime, seconds: int) -> datetime:
    """The latest instant from which `seconds` of business time have passed by `end`
    (to the second): how far back `status_age:>72h` in business hours reaches."""
    end = _utc(end, "end")
    if seconds <= 0:
        return end
    span = timedelta(seconds=seconds)
    while business_seconds_between(calendar, end - span, end) < seconds:
        span *= 2
        if span > timedelta(days=3660):  # a calendar that is almost never open
            return end - span
    lo, hi = 0, int(span.total_seconds())  # seconds back from end: hi is enough, lo is not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if business_seconds_between(calendar, end - timedelta(seconds=mid), end) >= seconds:
            hi = mid
        else:
            lo = mid
    return end - timedelta(seconds=hi)
