"""SLA policies and clocks (pure: no database, no I/O, `now` is always a parameter).

Configuration (`load_sla_config`): calendars (see helpdesk.calendar) and
policies, first match wins. Durations are business time: "90s", "30m", "2h",
"1h30m", "1d 4h". A `d` is 24 hours of *business* time, so on a 9-hour office
calendar "1d" spans almost three working days: write office targets in hours
("9h"), not days.

Clocks (`compute_clocks`), recomputed from the ticket's creation every time, so
a policy change (the caller passes the new policy) applies retroactively:

- first_response runs from creation to the first public agent reply;
- next_response runs from the first customer message after an agent reply
  (or after a solve) to the next public agent reply;
- resolution runs from creation until solved or closed, paused while the
  status is in the policy's `pause_on`; reopening resumes it where it stopped.

Response clocks are never paused by pending/on_hold (like Zendesk's reply
times), but solving or closing a ticket stops them (counted as met). A
customer message on a solved ticket starts next_response at that message once
the ticket is reopened. A clock is breached when `now >= due_at` before it was
met; met at or after its due second, it stays breached (met_at set too).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterable

from helpdesk.calendar import (
    Calendar,
    add_business_time,
    business_seconds_between,
    calendar_from_table,
    reject_unknown_keys,
)
from helpdesk.errors import Invalid, NotFound

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
STOPPED = frozenset({"solved", "closed"})
CLOCK_KINDS = ("first_response", "next_response", "resolution")
EVENT_KINDS = ("status", "agent_reply", "customer_message")
POLICY_KEYS = ("name", "match", "calendar", *CLOCK_KINDS, "warn_at", "pause_on",
               "on_warning", "on_breach")
ACTION_KEYS = ("notify", "set_priority", "add_tags", "reassign", "team")
DEFAULT_PAUSE_ON = ("pending", "on_hold")

_DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_RE = re.compile(r"^[^\s,]+$")


# --- configuration -----------------------------------------------------------


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
    """Parse and validate SLA TOML; `Invalid` says where and why."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"TOML syntax error: {exc}") from None
    return _parse_config(data, text)


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
    if calendar not in calendars:
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


# --- clocks --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # one of EVENT_KINDS
    status: str | None = None  # the new status, for kind == "status"

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise Invalid(f"unknown timeline event {self.kind!r} (use {', '.join(EVENT_KINDS)})",
                          field="kind")
        if (self.kind == "status") != (self.status is not None):
            raise Invalid("a status event needs a status, other events none", field="status")
        if self.status is not None and self.status not in STATUSES:
            raise Invalid(f"unknown status {self.status!r}", field="status")
        _utc(self.at)


@dataclass(frozen=True)
class Timeline:
    created_at: datetime
    events: list[TimelineEvent] = field(default_factory=list)
    status: str = "new"  # the status the ticket was created with

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise Invalid(f"unknown status {self.status!r}", field="status")
        _utc(self.created_at)


@dataclass(frozen=True)
class Clock:
    kind: str
    target_seconds: int
    state: str  # running | paused | met | breached
    remaining_seconds: int  # business seconds, negative once breached
    due_at: datetime | None  # None while paused; the breach instant once breached
    warn_at: datetime | None  # when sla.warning fires (or fired)
    met_at: datetime | None
    breached_at: datetime | None
    running: bool  # business time is being consumed (also true after a breach)
    computed_at: datetime
    calendar: Calendar = field(compare=False, repr=False)


@dataclass(frozen=True)
class SlaClocks:
    policy: str
    first_response: Clock | None  # None: no target (or, for next_response, not started)
    next_response: Clock | None
    resolution: Clock | None

    def __iter__(self):
        return iter((self.first_response, self.next_response, self.resolution))


def compute_clocks(timeline: Timeline, policy: Policy, calendar: Calendar,
                   now: datetime) -> SlaClocks:
    """Every clock of one ticket under `policy`, as of `now` (events after it are ignored)."""
    now, created = _utc(now), _utc(timeline.created_at)
    if now < created:
        raise ValueError("now is before the ticket was created")
    events = sorted((e for e in timeline.events if _utc(e.at) <= now), key=lambda e: e.at)
    events = [replace(e, at=max(_utc(e.at), created)) for e in events]
    cycles = _response_cycles(timeline.status, events, created)

    def measure(kind: str, runs: list, stopped_at: datetime | None) -> Clock | None:
        target = getattr(policy, kind)
        if target is None:
            return None
        return _measure(kind, calendar, target, policy.warn_at, runs, stopped_at, now)

    first, nxt = cycles[0], (cycles[-1] if len(cycles) > 1 else None)
    runs, solved_at = _resolution_runs(timeline.status, events, created, policy.pause_on)
    return SlaClocks(
        policy=policy.name,
        first_response=measure("first_response", [first], first[1]),
        next_response=measure("next_response", [nxt], nxt[1]) if nxt else None,
        resolution=measure("resolution", runs, solved_at),
    )


def advance(clock: Clock, now: datetime) -> Clock:
    """The same clock later, with no ticket events in between (cheap, for countdowns)."""
    now = _utc(now)
    if now < clock.computed_at:
        raise ValueError("cannot move a clock back in time; recompute it instead")
    if not clock.running:
        return replace(clock, computed_at=now)
    used = business_seconds_between(clock.calendar, clock.computed_at, now)
    moved = replace(clock, remaining_seconds=clock.remaining_seconds - used, computed_at=now)
    if clock.state == "running" and clock.due_at is not None and now >= clock.due_at:
        moved = replace(moved, state="breached", breached_at=clock.due_at)
    return moved


def next_deadline(clocks: Iterable[Clock | None]) -> datetime | None:
    """The earliest warning or breach still ahead of when the clocks were computed."""
    ahead = [
        instant
        for clock in clocks
        if clock is not None and clock.state == "running"
        for instant in (clock.warn_at, clock.due_at)
        if instant is not None and instant > clock.computed_at
    ]
    return min(ahead, default=None)


def clock_to_json(clock: Clock | None, now: datetime) -> dict[str, Any] | None:
    """One clock as ticket JSON: {target_seconds, due_at, state, remaining_seconds,
    met_at, breached_at}, advanced to `now`; None stays None."""
    if clock is None:
        return None
    clock = advance(clock, now)
    return {"target_seconds": clock.target_seconds, "due_at": _iso(clock.due_at),
            "state": clock.state, "remaining_seconds": clock.remaining_seconds,
            "met_at": _iso(clock.met_at), "breached_at": _iso(clock.breached_at)}


def clocks_to_json(clocks: SlaClocks, now: datetime) -> dict[str, Any]:
    """The ticket JSON `sla` object: {policy, first_response, next_response, resolution}."""
    return {"policy": clocks.policy,
            **{kind: clock_to_json(getattr(clocks, kind), now) for kind in CLOCK_KINDS}}


def _response_cycles(status: str, events: list[TimelineEvent], created: datetime) -> list[list]:
    """[start, stop-or-None] per wait for an agent reply; the first is first_response."""
    cycles: list[list] = [[created, None]]
    unanswered: datetime | None = None  # a customer message that arrived while solved
    for e in events:
        waiting = cycles[-1][1] is None
        if e.kind == "agent_reply":
            if waiting:
                cycles[-1][1] = e.at
            unanswered = None
        elif e.kind == "customer_message":
            if status in STOPPED:
                unanswered = unanswered or e.at
            elif not waiting:
                cycles.append([e.at, None])
        else:
            if e.status in STOPPED and waiting:
                cycles[-1][1] = e.at  # solving answers the ticket as far as reply clocks go
            elif status in STOPPED and e.status not in STOPPED and unanswered:
                cycles.append([unanswered, None])
                unanswered = None
            status = e.status
    return cycles


def _resolution_runs(status: str, events: list[TimelineEvent], created: datetime,
                     pause_on: tuple[str, ...]) -> tuple[list, datetime | None]:
    """The stretches the resolution clock ran, and when it was solved (if it still is)."""
    def runs_in(s: str) -> bool:
        return s not in STOPPED and s not in pause_on

    runs: list[list] = []
    start = created if runs_in(status) else None
    solved_at = created if status in STOPPED else None
    for e in (e for e in events if e.kind == "status"):
        if start is None and runs_in(e.status):
            start = e.at
        elif start is not None and not runs_in(e.status):
            runs.append([start, e.at])
            start = None
        if e.status in STOPPED and status not in STOPPED:
            solved_at = e.at
        status = e.status
    if start is not None:
        runs.append([start, None])
    return runs, (solved_at if status in STOPPED else None)


def _measure(kind: str, calendar: Calendar, target: int, warn_fraction: float, runs: list,
             stopped_at: datetime | None, now: datetime) -> Clock:
    warn_target = max(1, math.ceil(target * warn_fraction))
    elapsed, warned, breached, warn, due = 0, None, None, None, None
    for start, stop in runs:
        end = now if stop is None else min(stop, now)
        if warned is None:
            warn = add_business_time(calendar, start, warn_target - elapsed)
            warned = warn if warn <= end else None
        if breached is None:
            due = add_business_time(calendar, start, target - elapsed)
            breached = due if due <= end else None
        elapsed += business_seconds_between(calendar, start, end)
    running = bool(runs) and runs[-1][1] is None
    if breached:
        state = "breached"
    elif stopped_at:
        state = "met"
    else:
        state = "running" if running else "paused"
    return Clock(
        kind=kind, target_seconds=target, state=state, remaining_seconds=target - elapsed,
        due_at=breached or (due if running or stopped_at else None),
        warn_at=warned or (warn if running else None),
        met_at=stopped_at, breached_at=breached, running=running, computed_at=now,
        calendar=calendar,
    )


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timeline times must be timezone-aware, got {value!r}")
    return value.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
