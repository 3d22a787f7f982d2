"""Dates as spreadsheets hold them -> timezone-aware UTC datetimes.

Real Excel dates arrive as datetime objects (calamine applies the workbook's date
system); bare serial numbers and typed text are read here. Wall-clock values are
in the desk's zone (`tz`); a text with an explicit offset (ISO 8601, mail dates)
keeps that offset."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


class CellError(ValueError):
    """A cell that cannot become the field it is in; the message is the reason."""


_TIME = r"""
    (?:
      (?:\s*[Tt,]\s*|\s+)
      (?P<pre>上午|下午|早上|晚上|中午|凌晨)?\s*
      (?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})(?:\s*分)?
      (?:(?:\s*[:：]\s*|(?<=分)\s*)(?P<S>\d{1,2})(?:[.,](?P<F>\d{1,9}))?(?:\s*秒)?)?
      \s*(?P<post>[AaPp]\.?\s?[Mm]\.?)?
      \s*(?P<zone>Z|UTC|GMT|[+-]\d{2}:?\d{2})?
    )?\s*\Z"""
_WEEKDAY = r"(?:[A-Za-z]{3,9},?\s+)?"
_YMD = re.compile(
    r"(?P<y>\d{4})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?" + _TIME,
    re.X)
_NUMERIC = re.compile(
    r"(?P<a>\d{1,2})\s*[-/.]\s*(?P<b>\d{1,2})\s*[-/.]\s*(?P<y>\d{4}|\d{2})" + _TIME, re.X)
_DAY_MONTH = re.compile(
    _WEEKDAY + r"(?P<d>\d{1,2})[-/\s]+(?P<mon>[A-Za-z]{3,9})\.?[-/\s,]+(?P<y>\d{4}|\d{2})" + _TIME,
    re.X)
_MONTH_DAY = re.compile(
    _WEEKDAY + r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})"
    + _TIME, re.X)
_COMPACT = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})\Z")
_NUMBER = re.compile(r"\d+(?:\.\d+)?\Z")

_MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1)}
_EVENING = ("下午", "晚上")
_EXCEL_1900 = datetime(1899, 12, 30)  # day 61 onwards; Excel counts a 29 Feb 1900
_EXCEL_1904 = datetime(1904, 1, 1)
_FIRST_YEAR, _LAST_YEAR = 1970, 2100  # a bare number outside this is no ticket date


def parse_when(value: object, tz: ZoneInfo, dayfirst: bool = False,
               datemode_1904: bool = False) -> datetime:
    """A cell -> aware UTC datetime, or CellError saying why not."""
    if isinstance(value, datetime):
        return _to_utc(value, tz)
    if isinstance(value, date):
        return _to_utc(datetime(value.year, value.month, value.day), tz)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _to_utc(from_serial(float(value), datemode_1904), tz)
    if isinstance(value, str):
        return _parse_text(value.strip(), tz, dayfirst, datemode_1904)
    if isinstance(value, time):
        raise CellError(f"{value} is a time of day without a date")
    raise CellError(f'"{value}" is not a date')


def _to_utc(moment: datetime, tz: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def from_serial(number: float, datemode_1904: bool = False) -> datetime:
    """Excel day number -> naive wall-clock datetime. Also takes 20250305 (yyyymmdd)."""
    if number.is_integer() and 19000101 <= number <= 21001231:
        text = str(int(number))
        return _build(int(text[:4]), int(text[4:6]), int(text[6:]), text)
    if datemode_1904:
        base = _EXCEL_1904
    elif 60 <= number < 61:
        raise CellError("Excel day 60 is 29 Feb 1900, a day that never existed")
    else:
        base = _EXCEL_1900 if number >= 61 else _EXCEL_1900 + timedelta(days=1)
    try:
        moment = base + timedelta(milliseconds=round(number * 86_400_000))
    except (OverflowError, ValueError):  # a number far past any date (1e15, inf, nan)
        raise CellError(f"the number {number:g} is not a date") from None
    if not _FIRST_YEAR <= moment.year <= _LAST_YEAR:
        shown = int(number) if number.is_integer() else number
        raise CellError(f"the number {shown} is not a date (as an Excel date it is "
                        f"{moment:%Y-%m-%d}, outside {_FIRST_YEAR}-{_LAST_YEAR})")
    return moment


@lru_cache(maxsize=8192)  # ledgers repeat the same dates; errors are not cached
def _parse_text(text: str, tz: ZoneInfo, dayfirst: bool, datemode_1904: bool) -> datetime:
    if _NUMBER.match(text):
        return _to_utc(from_serial(float(text), datemode_1904), tz)
    match = _YMD.match(text) or _COMPACT.match(text)
    if match:
        day = _build(int(match["y"]), int(match["m"]), int(match["d"]), text)
    elif match := _NUMERIC.match(text):
        first, second = int(match["a"]), int(match["b"])
        day_, month = (first, second) if dayfirst else (second, first)
        day = _build(_year(match["y"]), month, day_, text, dayfirst if month > 12 >= day_ else None)
    elif match := (_DAY_MONTH.match(text) or _MONTH_DAY.match(text)):
        day = _build(_year(match["y"]), _month(match["mon"], text), int(match["d"]), text)
    else:
        raise CellError(f'"{text}" is not a date (try 2025-03-05 09:30)')
    return _to_utc(_with_time(day, match, text), tz)


def _year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _month(name: str, text: str) -> int:
    name = name.lower()
    for full, number in _MONTHS.items():
        if (full.startswith(name) and len(name) >= 3) or (name == "sept" and number == 9):
            return number
    raise CellError(f'"{text}" is not a date (unknown month "{name}")')


def _build(year: int, month: int, day: int, text: str, dayfirst: bool | None = None) -> datetime:
    try:
        return datetime(year, month, day)
    except ValueError:
        hint = ""
        if dayfirst is False:
            hint = " (read month first; day-first dates need --dayfirst)"
        elif dayfirst:
            hint = " (read day first, as --dayfirst asks)"
        raise CellError(f'"{text}" is not a real date{hint}') from None


def _with_time(day: datetime, match: re.Match, text: str) -> datetime:
    if match.re is _COMPACT or match["H"] is None:
        return day
    hour, minute = int(match["H"]), int(match["M"])
    hour = _twelve_hour(hour, match["pre"], match["post"], text)
    second = int(match["S"] or 0)
    micro = int((match["F"] or "0")[:6].ljust(6, "0"))
    try:
        moment = day.replace(hour=hour, minute=minute, second=second, microsecond=micro)
    except ValueError:
        raise CellError(f'"{text}" has an impossible time of day') from None
    zone = match["zone"]
    if zone and zone not in ("Z", "UTC", "GMT"):
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment.replace(tzinfo=timezone(sign * offset))
    return moment.replace(tzinfo=UTC) if zone else moment


def _twelve_hour(hour: int, pre: str | None, post: str | None, text: str) -> int:
    if post:
        if not 1 <= hour <= 12:
            raise CellError(f'"{text}" has an impossible time of day')
        evening = post[0] in "Pp"
        return hour % 12 + (12 if evening else 0)
    if pre in _EVENING or (pre == "中午" and hour < 11):
        return hour + 12 if hour < 12 else hour
    if pre and hour == 12 and pre != "中午":
        return 0
    return hour
