"""SLA clocks as the JSON contract shows them (`sla{policy, first_response, ...}`).

Reads the stored `sla_clock` rows and carries them forward to `now` without
recomputing: a clock that consumes time counts down in business seconds of
its policy's calendar (negative once breached), a paused or met one keeps the
remaining time it had. A running clock whose due second has come shows as
breached even before the sweep has fired it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.calendar import Calendar, business_seconds_between
from helpdesk.errors import NotFound
from helpdesk.models import SlaClock, Ticket
from helpdesk.sla_config import SlaConfig

KINDS = ("first_response", "next_response", "resolution")
STOPPED = ("solved", "closed")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def clock_json(clock: SlaClock, now: datetime, *, running: bool, calendar: Calendar | None) -> dict:
    """One stored clock as of `now`; `running` says whether it is consuming business time."""
    state, breached_at = clock.state, clock.breached_at
    if state == "running" and clock.due_at is not None and now >= clock.due_at:
        state, breached_at = "breached", clock.due_at
    remaining = remaining_seconds(clock, now, running=running, calendar=calendar)
    return {"target_seconds": clock.target_seconds, "due_at": _iso(clock.due_at), "state": state,
            "remaining_seconds": remaining, "met_at": _iso(clock.met_at), "breached_at": _iso(breached_at)}


def remaining_seconds(clock, now: datetime, *, running: bool, calendar: Calendar | None) -> int:
    """Business seconds left (negative once breached): counted on the calendar up to due_at while
    running (wall-clock time without a calendar), else the target less the time already used."""
    if running and clock.due_at is not None:
        return (business_seconds_between(calendar, now, clock.due_at) if calendar is not None
                else int((clock.due_at - now).total_seconds()))
    return clock.target_seconds - clock.elapsed_seconds


def is_running(clock: SlaClock, ticket: Ticket, config: SlaConfig | None) -> bool:
    """Whether the clock consumes time now. A breached resolution clock still
    pauses while the ticket waits in one of its policy's pause_on statuses."""
    return runs_while(clock, ticket.status, config)


def runs_while(clock: SlaClock, status: str, config: SlaConfig | None) -> bool:
    """`is_running` for a ticket in `status` (when only its status is at hand)."""
    if clock.met_at is not None or clock.state in ("paused", "met") or status in STOPPED:
        return False
    if clock.kind != "resolution" or clock.state == "running":
        return True
    policy = _policy(config, clock.policy)
    pause_on = policy.pause_on if policy else ("pending", "on_hold")
    return status not in pause_on


def sla_summaries(session: Session, tickets: list[Ticket], *, now: datetime) -> dict[int, dict]:
    from helpdesk.services.sla.policies import stored_config

    out = {t.id: {"policy": t.sla_policy, **{k: None for k in KINDS}} for t in tickets}
    if not tickets:
        return out
    by_id = {t.id: t for t in tickets}
    config = stored_config(session)
    for chunk in (list(out)[i:i + 500] for i in range(0, len(out), 500)):
        for clock in session.execute(select(SlaClock).where(SlaClock.ticket_id.in_(chunk))).scalars():
            ticket = by_id[clock.ticket_id]
            out[clock.ticket_id][clock.kind] = clock_json(
                clock, now, running=is_running(clock, ticket, config), calendar=_calendar(config, clock.policy))
    return out


def _policy(config: SlaConfig | None, name: str):
    if config is None:
        return None
    try:
        return config.policy(name)
    except NotFound:  # policies were reloaded without it: fall back to wall-clock time
        return None


def _calendar(config: SlaConfig | None, name: str) -> Calendar | None:
    policy = _policy(config, name)
    return config.calendar_for(policy) if policy else None


# -- countdowns for live screens ---------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    """One stored clock, detached from the database so a screen can count it down every second:
    `remaining(now)` is `remaining_seconds` of `sla status` (business time on the policy's calendar)."""

    kind: str
    state: str  # as stored: running | paused | met | breached
    target_seconds: int
    elapsed_seconds: int
    due_at: datetime | None
    warn_at: datetime | None
    running: bool
    met: bool  # met_at is set (a clock met late stays "breached")
    calendar: Calendar | None

    def remaining(self, now: datetime) -> int:
        return remaining_seconds(self, now, running=self.running, calendar=self.calendar)

    def state_at(self, now: datetime) -> str:
        """running | warning | breached | paused | met, as of `now` (before the sweep catches up)."""
        if self.state == "running" and self.due_at is not None:
            if now >= self.due_at:
                return "breached"
            if self.warn_at is not None and now >= self.warn_at:
                return "warning"
        return self.state


def countdowns(session: Session, statuses: dict[int, str]) -> dict[int, dict[str, Countdown]]:
    """The clocks of the tickets {id: status}, by ticket and kind (one read per 500 tickets)."""
    from helpdesk.services.sla.policies import stored_config

    out: dict[int, dict[str, Countdown]] = {i: {} for i in statuses}
    if not statuses:
        return out
    config = stored_config(session)
    ids = list(statuses)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        # plain rows, not ORM objects: a page of 100 tickets costs one cheap query
        for c in session.execute(select(*SlaClock.__table__.c).where(SlaClock.ticket_id.in_(chunk))):
            out[c.ticket_id][c.kind] = Countdown(
                c.kind, c.state, c.target_seconds, c.elapsed_seconds, c.due_at, c.warn_at,
                runs_while(c, statuses[c.ticket_id], config), c.met_at is not None, _calendar(config, c.policy))
    return out


def next_due(clocks: dict[str, Countdown]) -> Countdown | None:
    """The clock a queue row shows: the running one due first (the ticket's `sla_due_at`),
    else the stopped, unmet one with the least time left (shown as paused), else a met one."""
    running = [c for c in clocks.values() if c.running and c.due_at is not None]
    if running:
        return min(running, key=lambda c: c.due_at)
    paused = [c for c in clocks.values() if not c.met and c.state != "met"]
    if paused:
        return min(paused, key=lambda c: c.target_seconds - c.elapsed_seconds)
    return next(iter(clocks.values()), None)


def row_countdowns(session: Session, rows: list) -> dict[int, Countdown | None]:
    """The clock each queue row's SLA cell counts down (`rows`: services.tickets.queues.Row).

    A ticket whose summary columns name a due time but that has no stored clocks (an old
    import) counts down in wall-clock time to that due time."""
    found = countdowns(session, {r.id: r.status for r in rows})
    out: dict[int, Countdown | None] = {}
    for r in rows:
        clock = next_due(found.get(r.id) or {})
        if clock is None and r.sla_state is not None:
            clock = Countdown("", r.sla_state, 0, 0, r.sla_due_at, None, r.sla_due_at is not None,
                              r.sla_state == "met", None)
        out[r.id] = clock
    return out
