"""The query language, parse half: text -> Query, a flat AND of typed terms.

    status:open,pending priority:>=high assignee:me -tag:spam
    created:>2026-01-01 updated:<7d sla:due<2h "free text" 退款

Pure: the caller passes `now` and the team's zone, so relative dates and
`today` are reproducible. The SQL side lives in `query_sql.py`. Date terms
are compiled to UTC instants here; `between` means start <= t < end.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from helpdesk.errors import Invalid
from helpdesk.query_tokens import RawTerm, quote, tokenize

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
ACTIVE_STATUSES = ("new", "open", "pending", "on_hold")  # what `status:active` means
PRIORITIES = ("low", "normal", "high", "urgent")  # in order, for priority:>=high
SLA_STATES = ("breached", "paused", "running", "met", "warning")
DATE_FIELDS = ("created", "updated", "solved", "closed")
AGE_FIELDS = ("status_age", "stage_age")
APPROVAL_STATES = ("pending", "approved", "declined")
WARRANTY_STATES = ("in", "expired", "unknown")
ORDERED_FIELDS = ("priority", "id", *DATE_FIELDS, *AGE_FIELDS)
ALIASES = {"tier": "org.tier", "number": "id", "ext": "external"}

FIELDS = {
    "status": "new, open, pending, on_hold, solved, closed, or active (not yet solved)",
    "priority": "low, normal, high, urgent; compare with priority:>=high",
    "type": "question, incident, problem, task",
    "channel": "how the ticket came in: email, phone, web, ...",
    "assignee": "me, none, or an agent's email or name",
    "team": "a team name, or none",
    "requester": "the requester's email or name",
    "org": "the requester's organization, or none",
    "org.tier": "the organization's tier, e.g. vip (alias: tier)",
    "tag": "a tag; -tag:spam leaves it out",
    "id": "ticket number, id:>100 (alias: number; or just #123)",
    "created": "2026-01-01, 2026-01-01T09:30, today, yesterday, a..b; "
    "created:>2026-01-01; created:<7d = less than 7 days ago (m, h, d, w)",
    "updated": "when the ticket last changed; same forms as created",
    "solved": "when the ticket was solved; same forms as created",
    "closed": "when the ticket was closed; same forms as created",
    "sla": "breached, paused, running, met, warning, or due<2h (due within 2h)",
    "status_age": "time in the current status: status_age:>72h (more than 72 hours), status_age:<30m; "
    "in business hours inside an automation that names a calendar",
    "skill": "a skill the ticket needs its agent to hold (set by rules), e.g. skill:printers",
    "stage": "where it is in its type's process, e.g. stage:财务退款 (or stage:none)",
    "stage_age": "time in the current stage, e.g. stage_age:>24h",
    "approval": "its stage's approval: pending, approved or declined",
    "approver": "who its stage waits on to approve, e.g. approval:pending approver:me",
    "follower": "me, or an agent's email or name: tickets they follow (ticket follow, or an @mention)",
    "field.KEY": "a custom field, e.g. field.serial:ABC123; typed ones compare: field.refund_amount:>100, "
    "field.pickup_date:<2026-03-01",
    "external": "its number in the system it came from (the id column of an import), as written there",
    "asset": "the serial of the asset it is about (any case or spacing), or none",
    "warranty": "its asset's warranty today: in (the last day counts), expired, unknown",
}

SYNTAX_HELP = (
    "Terms are ANDed; commas are OR within a field (status:open,pending); "
    "-term leaves matches out; bare words and \"quoted phrases\" search the "
    "subject, messages and requester; quote values with spaces (tag:\"vip customer\")."
)


@dataclass(frozen=True)
class Term:
    field: str  # canonical name from FIELDS, "field.<key>", or "text"
    op: str  # "=", ">", ">=", "<", "<=", or "between" (dates only)
    values: tuple  # OR-ed alternatives, typed per field
    negated: bool = False
    source: str = field(default="", compare=False)  # as typed; for messages only


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]  # ANDed
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class _Clock:
    now: datetime  # UTC
    tz: ZoneInfo


def parse(text: str, *, now: datetime, tz: ZoneInfo) -> Query:
    """Read a query; raises Invalid naming the first bad term."""
    if now.tzinfo is None:
        raise ValueError("parse() needs a timezone-aware `now`")
    clock = _Clock(now.astimezone(UTC), tz)
    return Query(tuple(_term(raw, clock) for raw in tokenize(text)), source=text)


def _bad(raw: RawTerm, why: str) -> Invalid:
    return Invalid(f"{raw.source} — {why}")


def _term(raw: RawTerm, clock: _Clock) -> Term:
    if raw.key is None:
        phrase = raw.values[0].strip()
        if not phrase:
            raise _bad(raw, "empty phrase; put words between the quotes")
        return Term("text", "=", (phrase,), raw.negated, raw.source)
    name = _field_name(raw)
    if raw.op != "=" and name not in ORDERED_FIELDS and not name.startswith("field."):
        raise _bad(
            raw,
            f"{name} has no order, so '{raw.op}' does not apply (write {name}:value; "
            f"comparisons work on {', '.join(ORDERED_FIELDS)})",
        )
    if raw.op != "=" and len(raw.values) > 1:
        raise _bad(raw, f"a comparison takes one value (e.g. {name}:{raw.op}{raw.values[0]})")
    if any(not value.strip() for value in raw.values):
        help_line = FIELDS.get(name, FIELDS["field.KEY"])
        raise _bad(raw, f"empty value; no space after ':' or ',' ({name}: {help_line})")
    read = _READERS.get(name, _custom_values)
    op, values = read(raw, clock)
    return Term(name, op, values, raw.negated, raw.source)


def _field_name(raw: RawTerm) -> str:
    key = "id" if raw.key == "#" else ALIASES.get(raw.key, raw.key)
    if key in FIELDS and key != "field.KEY":
        return key
    if key.startswith("field."):
        if key != "field.":
            return key
        raise _bad(raw, "name the custom field: field.KEY:value, e.g. field.serial:ABC123")
    close = difflib.get_close_matches(key, [*FIELDS, *ALIASES], n=1)
    hint = f", did you mean '{close[0]}'?" if close else ""
    raise _bad(
        raw,
        f"unknown field '{key}'{hint} (fields: {', '.join(FIELDS)}; "
        "to search for text with a colon, put it in quotes)",
    )


def _unique(values: Iterable) -> tuple:
    return tuple(dict.fromkeys(values))


# --- readers: one per kind of field, each returns (op, typed values) ---------

Reader = Callable[[RawTerm, _Clock], tuple[str, tuple]]


def _status_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found: list[str] = []
    for value in raw.values:
        word = re.sub(r"[\s\-]+", "_", value.strip().lower())
        word = "on_hold" if word == "hold" else word
        if word == "active":
            found.extend(ACTIVE_STATUSES)
        elif word in STATUSES:
            found.append(word)
        else:
            raise _bad(
                raw, f"unknown status '{value.strip()}' (use {', '.join(STATUSES)}, or active)"
            )
    return "=", _unique(found)


def _priority_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found = [value.strip().lower() for value in raw.values]
    for word in found:
        if word not in PRIORITIES:
            raise _bad(raw, f"unknown priority '{word}' (use {', '.join(PRIORITIES)})")
    return raw.op, _unique(found)


def _word_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    return "=", _unique(value.strip().lower() for value in raw.values)


def _exact_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    return "=", _unique(value.strip() for value in raw.values)  # case kept: T-001 is not t-001


def _custom_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    # Custom values (serials, order numbers) may be case-sensitive: keep them.
    return raw.op, _unique(value.strip() for value in raw.values)


def _approval_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found = [value.strip().lower() for value in raw.values]
    for word in found:
        if word not in APPROVAL_STATES:
            raise _bad(raw, f"unknown approval state '{word}' (use {', '.join(APPROVAL_STATES)})")
    return "=", _unique(found)


def _warranty_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found = [value.strip().lower() for value in raw.values]
    for word in found:
        if word not in WARRANTY_STATES:
            raise _bad(raw, f"unknown warranty state '{word}' (use {', '.join(WARRANTY_STATES)})")
    return "=", _unique(found)


def _serial_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    # Serials match as assets store them: NFKC, inner spaces collapsed, case ignored.
    return "=", _unique(" ".join(unicodedata.normalize("NFKC", v).split()).casefold() for v in raw.values)


_MAX_NUMBER = 10**18  # fits a 64-bit integer column


def _id_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found = []
    for value in raw.values:
        digits = value.strip()
        if not re.fullmatch(r"[0-9]{1,18}", digits) or not 0 < int(digits) < _MAX_NUMBER:
            raise _bad(raw, f"'{digits}' is not a ticket number (use e.g. 123, id:>100, #123)")
        found.append(int(digits))
    return raw.op, _unique(found)


_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"([0-9]{1,6})\s*([wdhms])", re.IGNORECASE)
_DUE = re.compile(r"due\s*(<=|>=|<|>)\s*(.*)", re.IGNORECASE | re.DOTALL)


def _sla_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    found: list = []
    for value in raw.values:
        word = value.strip().lower()
        due = _DUE.fullmatch(word)
        if word in SLA_STATES:
            found.append(word)
        elif due and _DURATION.fullmatch(due[2]):
            found.append(("due", due[1], _seconds(due[2])))
        else:
            raise _bad(
                raw,
                f"unknown SLA condition '{value.strip()}' "
                f"(use {', '.join(SLA_STATES)}, or due<2h / due<=30m / due>1d)",
            )
    return "=", _unique(found)


def _seconds(duration: str) -> int:
    match = _DURATION.fullmatch(duration.strip())
    return int(match[1]) * _UNIT_SECONDS[match[2].lower()]


def _age_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    name = _field_name(raw)
    text = raw.values[0].strip().lower()
    if not _DURATION.fullmatch(text):
        raise _bad(raw, f"'{raw.values[0].strip()}' is not a duration (use 30m, 72h, 3d, 2w)")
    if raw.op == "=":
        raise _bad(raw, f"say which side: {name}:>{text} (longer than {text}) or {name}:<{text} (shorter)")
    return raw.op, (_seconds(text),)


# --- dates ------------------------------------------------------------------

_DATE = re.compile(
    r"""([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})
        (?:T([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?
           (Z|[+-][0-9]{2}:?[0-9]{2})?)?""",
    re.IGNORECASE | re.VERBOSE,
)
# "updated:<7d" reads "less than 7 days ago", i.e. later than now-7d.
_AGO_OP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _date_values(raw: RawTerm, clock: _Clock) -> tuple[str, tuple]:
    name = _field_name(raw)
    if len(raw.values) > 1:
        raise _bad(raw, f"a date takes one value; for a span write {name}:2026-01-01..2026-01-31")
    text = raw.values[0].strip()
    if ".." in text:
        if raw.op != "=":
            raise _bad(raw, f"a range takes no comparison (write {name}:a..b)")
        first, _, last = text.partition("..")
        start, end = _moment(raw, first, clock)[1][0], _moment(raw, last, clock)[1][1]
        if not start < end:
            raise _bad(raw, "the range ends before it starts")
        return "between", (start, end)
    kind, (start, end) = _moment(raw, text, clock)
    if kind == "day":
        return ("between", (start, end)) if raw.op == "=" else (raw.op, (start,))
    if raw.op == "=" and kind == "ago":
        raise _bad(
            raw,
            f"say which side: {name}:<{text} (less than {text} ago) "
            f"or {name}:>{text} (more than {text} ago)",
        )
    if raw.op == "=":
        raise _bad(raw, f"a time needs a side ({name}:>{text}) or a range ({name}:a..b)")
    return (_AGO_OP[raw.op] if kind == "ago" else raw.op), (start,)


def _moment(raw: RawTerm, text: str, clock: _Clock) -> tuple[str, tuple[datetime, datetime]]:
    """Classify a date value: a local day ("day"), an instant, or a duration ago."""
    word = text.strip().lower()
    try:
        if word in ("today", "yesterday"):
            day = clock.now.astimezone(clock.tz).date()
            day -= timedelta(days=1 if word == "yesterday" else 0)
            return "day", _local_day(day, clock.tz)
        if _DURATION.fullmatch(word):
            moment = clock.now - timedelta(seconds=_seconds(word))
            return "ago", (moment, moment)
        match = _DATE.fullmatch(text.strip().replace("：", ":"))
        if match and match[4] is None:
            return "day", _local_day(date(*map(int, match.group(1, 2, 3))), clock.tz)
        if match:
            moment = _instant(match, clock.tz)
            return "instant", (moment, moment)
    except (ValueError, OverflowError):
        raise _bad(raw, f"'{text}' is not a real date or is out of range") from None
    raise _bad(
        raw,
        f"'{text}' is not a date (use 2026-01-01, 2026-01-01T09:30, today, yesterday, "
        "or an age like 30m, 2h, 7d, 2w)",
    )


def _local_day(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _instant(match: re.Match, tz: ZoneInfo) -> datetime:
    year, month, day, hour, minute = map(int, match.group(1, 2, 3, 4, 5))
    second = int(match[6] or 0)
    micro = int((match[7] or "0").ljust(6, "0"))
    zone = _offset(match[8]) if match[8] else tz
    moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    return moment.astimezone(UTC)


def _offset(text: str) -> timezone:
    # An explicit offset only says which instant the user meant; nothing stores it.
    if text.upper() == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if text[0] == "-" else delta)


_READERS: dict[str, Reader] = {
    "status": _status_values,
    "priority": _priority_values,
    "id": _id_values,
    "sla": _sla_values,
    "external": _exact_values,
    "status_age": _age_values,
    "stage_age": _age_values,
    "approval": _approval_values,
    "warranty": _warranty_values,
    "asset": _serial_values,
    **{name: _date_values for name in DATE_FIELDS},
    **{
        name: _word_values
        for name in ("type", "channel", "assignee", "team", "requester", "org", "org.tier", "tag", "skill", "stage",
                     "approver", "follower")
    },
}


# --- back to text -----------------------------------------------------------


def describe(query: Query) -> str:
    """Normalised text for a query; parse(describe(q)) == q.

    Relative dates come back as the absolute instants they meant at parse
    time, so keep the user's own text when a view should stay relative.
    """
    return " ".join(_describe_term(term) for term in query.terms)


def _describe_term(term: Term) -> str:
    sign = "-" if term.negated else ""
    if term.field == "text":
        return sign + quote(term.values[0])
    if term.op == "between":
        body = "..".join(_iso(value) for value in term.values)
    elif term.field in AGE_FIELDS:
        body = term.op + _duration(term.values[0])
    else:
        op = "" if term.op == "=" else term.op
        body = op + ",".join(_describe_value(value) for value in term.values)
    return f"{sign}{term.field}:{body}"


def _describe_value(value: object) -> str:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple):  # ("due", "<", seconds)
        return f"due{value[1]}{_duration(value[2])}"
    if isinstance(value, int):
        return str(value)
    return quote(value)


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    return text + (f".{moment.microsecond:06d}" if moment.microsecond else "") + "Z"


def _duration(seconds: int) -> str:
    for unit, size in _UNIT_SECONDS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
