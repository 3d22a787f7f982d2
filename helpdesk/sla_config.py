"""SLA configuration: calendars and policies from TOML (pure: no database, no I/O).

Policies are tried in file order and the first whose `match` fits a ticket
wins. Durations are business time: "90s", "30m", "2h", "1h30m", "1d 4h". A
`d` is 24 hours of *business* time, so on a 9-hour office calendar "1d" spans
almost three working days: write office targets in hours ("9h"), not days.

A bad file is refused whole: the `Invalid` error names the section, the key,
the line of the file and the problem (`with_line`). Whether a policy's `match`
is a valid query is checked by the caller (services/sla_policies.py), which
knows the query language and the desk's names.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from helpdesk.calendar import Calendar, calendar_from_table, reject_unknown_keys
from helpdesk.errors import Invalid, NotFound
from helpdesk.toml_lines import placed

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CLOCK_KINDS = ("first_response", "next_response", "resolution")
POLICY_KEYS = ("name", "match", "calendar", *CLOCK_KINDS, "warn_at", "pause_on",
               "on_warning", "on_breach")
ACTION_KEYS = ("notify", "set_priority", "add_tags", "reassign", "team")
DEFAULT_PAUSE_ON = ("pending", "on_hold")

_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_RE = re.compile(r"^[^\s,]+$")
_HEADER_RE = re.compile(r"^\s*\[")
_UNKNOWN_KEY_RE = re.compile(r"unknown key '([^']+)'")


@dataclass(frozen=True)
class Actions:
    """What to do on sla.warning / sla.breached; executed elsewhere."""

    notify: tuple[str, ...] = ()  # "assignee", "team", "agent:EMAIL", "team:NAME"
    set_priority: str | None = None
    add_tags: tuple[str, ...] = ()
    reassign: str | None = None  # agent email
    team: str | None = None

    def to_table(self) -> dict[str, Any]:
        table = {"notify": list(self.notify), "set_priority": self.set_priority,
                 "add_tags": list(self.add_tags), "reassign": self.reassign, "team": self.team}
        return {k: v for k, v in table.items() if v not in (None, [])}


@dataclass(frozen=True)
class Policy:
    name: str
    match: str  # query-language text; "" matches every ticket
    calendar: str
    first_response: int | None = None  # business seconds; None = no target
    next_response: int | None = None
    resolution: int | None = None
    warn_at: float = 0.75
    pause_on: tuple[str, ...] = DEFAULT_PAUSE_ON
    on_warning: Actions | None = None
    on_breach: Actions | None = None

    def to_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"name": self.name, "match": self.match, "calendar": self.calendar}
        for kind in CLOCK_KINDS:
            if getattr(self, kind) is not None:
                table[kind] = format_duration(getattr(self, kind))
        table.update(warn_at=self.warn_at, pause_on=list(self.pause_on))
        for key in ("on_warning", "on_breach"):
            if getattr(self, key) is not None:
                table[key] = getattr(self, key).to_table()
        return table


@dataclass(frozen=True)
class SlaConfig:
    calendars: dict[str, Calendar]
    policies: list[Policy]
    source: str | None = field(default=None, compare=False)  # the TOML text as loaded

    def policy(self, name: str) -> Policy:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise NotFound(f"no SLA policy named {name!r}")

    def calendar_for(self, policy: Policy) -> Calendar:
        return self.calendars[policy.calendar]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; `from_dict` validates it again on the way back."""
        return {"calendars": {n: c.to_table() for n, c in self.calendars.items()},
                "policies": [p.to_table() for p in self.policies],
                "source": self.source}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaConfig:
        data = dict(data)
        source = data.pop("source", None)
        return _parse_config(data, source)


def load_sla_config(text: str) -> SlaConfig:
    """Parse and validate SLA TOML; `Invalid` says where, on which line, and why."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"TOML syntax error: {exc}") from None
    try:
        return _parse_config(data, text)
    except Invalid as exc:
        raise placed(with_line(exc, text), text) from None


def parse_duration(value: Any, where: str) -> int:
    """'1d 4h' -> 100800 business seconds (d = 24 business hours)."""
    compact = re.sub(r"\s+", "", value) if isinstance(value, str) else None
    match = _DURATION_RE.match(compact) if compact else None
    if not match or not any(match.groups()):
        raise Invalid(f"bad duration {value!r} (use 30m, 2h, 1d 4h)", field=where)
    seconds = sum(int(n) * size for n, (_, size) in zip(match.groups(), _UNITS) if n)
    if seconds <= 0:
        raise Invalid(f"duration {value!r} must be longer than zero", field=where)
    return seconds


def format_duration(seconds: int) -> str:
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0s"


def _parse_config(data: dict[str, Any], source: str | None) -> SlaConfig:
    reject_unknown_keys(data, ("calendars", "policies"), "sla config")
    tables = data.get("calendars", {})
    if not isinstance(tables, dict):
        raise Invalid("must be a table of calendars", field="calendars")
    calendars = {name: calendar_from_table(name, t) for name, t in tables.items()}
    items = data.get("policies", [])
    if not isinstance(items, list):
        raise Invalid("must be an array of tables ([[policies]])", field="policies")
    policies: list[Policy] = []
    for number, table in enumerate(items, start=1):
        policy = _parse_policy(number, table, calendars)
        if any(p.name == policy.name for p in policies):
            raise Invalid(f"duplicate policy name {policy.name!r}", field=f"policies[{number}]")
        policies.append(policy)
    return SlaConfig(calendars=calendars, policies=policies, source=source)


def _parse_policy(number: int, table: Any, calendars: dict[str, Calendar]) -> Policy:
    where = f"policies[{number}]"  # counted from 1, in file order
    if not isinstance(table, dict):
        raise Invalid("must be a table", field=where)
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("missing name", field=f"{where}: name")
    where = f'{where} "{name.strip()}"'
    reject_unknown_keys(table, POLICY_KEYS, where)
    match = table.get("match", "")
    if not isinstance(match, str):
        raise Invalid(f"must be a query string (\"\" matches every ticket), got {match!r}",
                      field=f"{where}: match")
    calendar = table.get("calendar")
    if not isinstance(calendar, str) or calendar not in calendars:
        known = ", ".join(sorted(calendars)) or "none defined"
        raise Invalid(f"unknown calendar {calendar!r} (known: {known})", field=f"{where}: calendar")
    targets = {k: parse_duration(table[k], f"{where}: {k}") for k in CLOCK_KINDS if k in table}
    return Policy(
        name=name.strip(), match=match.strip(), calendar=calendar, **targets,
        warn_at=_parse_warn_at(table.get("warn_at", 0.75), f"{where}: warn_at"),
        pause_on=_parse_pause_on(table.get("pause_on", list(DEFAULT_PAUSE_ON)),
                                 f"{where}: pause_on"),
        on_warning=_parse_actions(table.get("on_warning"), f"{where}: on_warning"),
        on_breach=_parse_actions(table.get("on_breach"), f"{where}: on_breach"),
    )


def _parse_warn_at(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise Invalid(f"must be a fraction between 0 and 1 (e.g. 0.75), got {value!r}", field=where)
    return float(value)


def _parse_pause_on(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid(f"must be a list of statuses, got {value!r}", field=where)
    for status in value:
        if status not in STATUSES:
            raise Invalid(f"unknown status {status!r} (use {', '.join(STATUSES)})", field=where)
    return tuple(dict.fromkeys(value))


def _parse_actions(table: Any, where: str) -> Actions | None:
    if table is None:
        return None
    if not isinstance(table, dict) or not table:
        raise Invalid(f"must be a table with at least one of {', '.join(ACTION_KEYS)}", field=where)
    reject_unknown_keys(table, ACTION_KEYS, where)
    priority = table.get("set_priority")
    if priority is not None and priority not in PRIORITIES:
        raise Invalid(f"unknown priority {priority!r} (use {', '.join(PRIORITIES)})",
                      field=f"{where}: set_priority")
    reassign = table.get("reassign")
    if reassign is not None and not (isinstance(reassign, str) and _EMAIL_RE.match(reassign)):
        raise Invalid(f"must be an agent email, got {reassign!r}", field=f"{where}: reassign")
    team = table.get("team")
    if team is not None and not (isinstance(team, str) and team.strip()):
        raise Invalid(f"must be a team name, got {team!r}", field=f"{where}: team")
    return Actions(
        notify=tuple(_check_notify(n, f"{where}: notify")
                     for n in _strings(table, "notify", where)),
        set_priority=priority,
        add_tags=tuple(_check_tag(tag, f"{where}: add_tags")
                       for tag in _strings(table, "add_tags", where)),
        reassign=reassign,
        team=team.strip() if team else None,
    )


def _strings(table: dict, key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"must be a list of strings, got {value!r}", field=f"{where}: {key}")
    return value


def _check_notify(target: str, where: str) -> str:
    kind, _, rest = target.partition(":")
    if target in ("assignee", "team") or (kind == "team" and rest.strip()) or (
        kind == "agent" and _EMAIL_RE.match(rest)
    ):
        return target
    raise Invalid(f"unknown recipient {target!r} (use assignee, team, agent:EMAIL or team:NAME)",
                  field=where)


def _check_tag(tag: str, where: str) -> str:
    if not _TAG_RE.match(tag):
        raise Invalid(f"bad tag {tag!r} (no spaces or commas)", field=where)
    return tag


# --- line numbers --------------------------------------------------------------


def with_line(exc: Invalid, source: str) -> Invalid:
    """The same error, with "(at line N)" when the place it names is found in `source`."""
    line = line_of(source, exc.field or "", exc.reason)
    if line is None:
        return exc
    return Invalid(f"{exc.reason} (at line {line})", field=exc.field)


def line_of(source: str, where: str, reason: str = "") -> int | None:
    """The 1-based line `where` ('policies[2] "VIP": warn_at', 'calendars.office:
    hours.mon', ...) points at: the key's line, else its section's header."""
    lines = source.splitlines()
    section, _, rest = where.partition(": ")
    keys = [k for k in rest.split(": ") if k]
    unknown = _UNKNOWN_KEY_RE.search(reason)
    if unknown:
        keys.append(unknown[1])
    numbered = re.match(r"^policies\[(\d+)\]", section)
    if numbered:
        start = _header_line(lines, r"\[\[\s*policies\s*\]\]", int(numbered[1]))
    elif section.startswith("calendars."):
        name = re.escape(section.split(".", 1)[1])
        start = _header_line(lines, rf"\[\s*calendars\s*\.\s*\"?{name}\"?\s*\]", 1)
        if start is not None and keys and "." in keys[0]:  # hours.mon, as [calendars.X.hours]
            table, key = keys[0].split(".", 1)
            sub = _header_line(lines, rf"\[\s*calendars\s*\.\s*\"?{name}\"?\s*\.\s*{table}\s*\]", 1)
            if sub is not None:
                return _key_line(lines, sub, key) or sub + 1
            keys[0] = table
    else:  # a top-level key: search before the first table header
        start, keys = -1, keys or [section]
    if start is None:
        return None
    found = _key_line(lines, start, keys[0]) if keys else None
    return found or (start + 1 if start >= 0 else None)


def _header_line(lines: list[str], pattern: str, nth: int) -> int | None:
    """The 0-based index of the nth line that is this table header."""
    seen = 0
    for index, line in enumerate(lines):
        if re.match(rf"^\s*{pattern}\s*(#.*)?$", line):
            seen += 1
            if seen == nth:
                return index
    return None


def _key_line(lines: list[str], header: int, key: str) -> int | None:
    """The 1-based line of `key = ...` (or `[[key]]`) in the section after `header`."""
    pattern = re.compile(rf"^\s*(\"?{re.escape(key)}\"?\s*=|\[\[?\s*{re.escape(key)}\s*\]\]?)")
    for index in range(header + 1, len(lines)):
        if header >= 0 and _HEADER_RE.match(lines[index]) and not pattern.match(lines[index]):
            break
        if pattern.match(lines[index]):
            return index + 1
    return None
