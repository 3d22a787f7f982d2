"""SLA clocks as the JSON contract shows them (`sla{policy, first_response, ...}`).

Reads the stored `sla_clock` rows and carries them forward to `now` without
recomputing: a clock that consumes time counts down in business seconds of
its policy's calendar (negative once breached), a paused or met one keeps the
remaining time it had. A running clock whose due second has come shows as
breached even before the sweep has fired it."""

from __future__ import annotations

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
    if running and clock.due_at is not None:
        remaining = (business_seconds_between(calendar, now, clock.due_at) if calendar is not None
                     else int((clock.due_at - now).total_seconds()))
    else:
        remaining = clock.target_seconds - clock.elapsed_seconds
    return {"target_seconds": clock.target_seconds, "due_at": _iso(clock.due_at), "state": state,
            "remaining_seconds": remaining, "met_at": _iso(clock.met_at), "breached_at": _iso(breached_at)}


def is_running(clock: SlaClock, ticket: Ticket, config: SlaConfig | None) -> bool:
    """Whether the clock consumes time now. A breached resolution clock still
    pauses while the ticket waits in one of its policy's pause_on statuses."""
    if clock.met_at is not None or clock.state in ("paused", "met") or ticket.status in STOPPED:
        return False
    if clock.kind != "resolution" or clock.state == "running":
        return True
    policy = _policy(config, clock.policy)
    pause_on = policy.pause_on if policy else ("pending", "on_hold")
    return ticket.status not in pause_on


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
