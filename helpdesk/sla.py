"""SLA clocks (pure: no database, no I/O, `now` is always a parameter).

The configuration half (calendars, policies, durations) lives in
helpdesk.sla_config; its public names are re-exported here.

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
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Iterable

from helpdesk.calendar import Calendar, add_business_time, business_seconds_between
from helpdesk.errors import Invalid
from helpdesk.sla_config import (  # noqa: F401  (re-exported: the config half moved)
    CLOCK_KINDS,
    STATUSES,
    Actions,
    Policy,
    SlaConfig,
    format_duration,
    load_sla_config,
    parse_duration,
)

__all__ = [
    "Actions", "CLOCK_KINDS", "Clock", "Policy", "SlaClocks", "SlaConfig", "Timeline", "TimelineEvent",
    "advance", "clock_to_json", "clocks_to_json", "compute_clocks", "format_duration", "load_sla_config",
    "next_deadline", "parse_duration",
]
STOPPED = frozenset({"solved", "closed"})
EVENT_KINDS = ("status", "agent_reply", "customer_message")


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
    started_at: datetime | None = None  # start of its first run: tells one wait from the next


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
    events = []
    for e in sorted(timeline.events, key=lambda e: e.at):
        at = _utc(e.at)
        if at <= now:  # an event before the start (clock skew) counts at the start
            events.append(e if at is e.at and at >= created else replace(e, at=max(at, created)))
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
    # created solved or closed (history brought in from elsewhere): answered as it came in
    cycles: list[list] = [[created, created if status in STOPPED else None]]
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
        calendar=calendar, started_at=runs[0][0] if runs else None,
    )


def _utc(value: datetime) -> datetime:
    if value.tzinfo is timezone.utc:
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timeline times must be timezone-aware, got {value!r}")
    return value.astimezone(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
