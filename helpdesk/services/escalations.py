"""The SLA sweep: fire each clock's warning and breach exactly once, and act on them.

The sweep reads only tickets whose `sla_check_at` has come (an indexed
column), recomputes their clocks (services/sla_tracking.py), then claims each
due warning or breach with a conditional UPDATE

    UPDATE sla_clock SET warned_at = :now
    WHERE ticket_id = :t AND kind = :k AND warned_at IS NULL

and acts only when it changed one row, so several processes running the
scheduler never fire the same clock twice. Firing records an Event
(`sla.warning` / `sla.breached`), publishes the domain event of the same name
and carries out the policy's on_warning / on_breach actions: notify people,
set the priority, add tags, reassign. An action that cannot be done (an agent
since removed, ...) is recorded as `sla.action_failed` and does not stop the
sweep. A breach found before its warning was sent skips the warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from helpdesk.errors import HelpdeskError
from helpdesk.models import Agent, SlaClock, Ticket
from helpdesk.services import bus, notifications, people
from helpdesk.services.actors import SYSTEM
from helpdesk.services.audit import record
from helpdesk.services.sla_tracking import Tracked, refresh_check, track
from helpdesk.sla import Actions

BATCH = 500
EVENT_NAMES = {"warning": "sla.warning", "breach": "sla.breached"}  # events and notification kinds
LABELS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}


@dataclass
class SweepResult:
    tickets: int = 0
    warnings: int = 0
    breaches: int = 0
    more: bool = False  # the batch was full: run again for the rest
    fired: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket, kind, "warning"|"breach")

    def add(self, other: SweepResult) -> SweepResult:
        return SweepResult(self.tickets + other.tickets, self.warnings + other.warnings,
                           self.breaches + other.breaches, other.more, self.fired + other.fired)


def sweep(session: Session, *, now: datetime, limit: int = BATCH) -> SweepResult:
    """Handle up to `limit` tickets whose next warning or breach time has come."""
    ids = list(session.execute(
        select(Ticket.id).where(Ticket.sla_check_at <= now).order_by(Ticket.sla_check_at, Ticket.id).limit(limit)
    ).scalars())
    result = SweepResult(tickets=len(ids), more=len(ids) == limit)
    for tracked in track(session, ids, now=now):
        for kind, what in fire_due(session, tracked, now):
            result.fired.append((tracked.ticket.id, kind, what))
            if what == "warning":
                result.warnings += 1
            else:
                result.breaches += 1
    return result


def fire_due(session: Session, tracked: Tracked, now: datetime) -> list[tuple[str, str]]:
    """Claim and carry out the warnings and breaches of one ticket that are due by `now`."""
    won: list[tuple[str, str, SlaClock]] = []
    for kind, row in tracked.rows.items():
        if row.met_at is not None:
            continue
        if row.state == "breached" and row.breach_fired_at is None:
            if claim(session, row, "breach_fired_at", now):
                won.append((kind, "breach", row))
            claim(session, row, "warned_at", now)  # too late to warn: mark it, say nothing
        elif row.warn_at is not None and row.warn_at <= now and row.warned_at is None:
            if claim(session, row, "warned_at", now):
                won.append((kind, "warning", row))
    refresh_check(tracked)
    for kind, what, row in won:
        _announce(session, tracked, kind, what, row)
    return [(kind, what) for kind, what, _ in won]


def claim(session: Session, row: SlaClock, marker: str, now: datetime) -> bool:
    """Set `marker` if nobody has: True only for the one caller that did."""
    column = getattr(SlaClock, marker)
    changed = session.execute(
        update(SlaClock)
        .where(SlaClock.ticket_id == row.ticket_id, SlaClock.kind == row.kind, column.is_(None))
        .values({marker: now})
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if changed:
        set_committed_value(row, marker, now)
    else:
        session.refresh(row, [marker])  # someone else fired it; learn when
    return changed


# -- acting ------------------------------------------------------------------------------

def _announce(session: Session, tracked: Tracked, kind: str, what: str, row: SlaClock) -> None:
    ticket, policy = tracked.ticket, tracked.policy
    name = EVENT_NAMES[what]
    instant = row.due_at
    summary = f"{LABELS[kind]} {'due' if what == 'warning' else 'breached'} at {instant.isoformat() if instant else '?'}"
    record(session, SYSTEM, "ticket", ticket.id, name, None, summary, reason=f"SLA policy {row.policy}")
    bus.publish(session, bus.DomainEvent(name, ticket.id, SYSTEM, data={
        "kind": kind, "policy": row.policy, "due_at": instant.isoformat() if instant else None}))
    actions = None
    if policy is not None and policy.name == row.policy:
        actions = policy.on_warning if what == "warning" else policy.on_breach
    if actions is not None:
        _act(session, ticket, actions, kind, what, row)


def _act(session: Session, ticket: Ticket, actions: Actions, kind: str, what: str, row: SlaClock) -> None:
    text = _notice(ticket, kind, what, row)
    for agent_id in _recipients(session, ticket, actions.notify, what):
        notifications.notify(session, agent_id, ticket.id, EVENT_NAMES[what], text)
    changes = _changes(actions)
    if changes is None:
        return
    from helpdesk.services.tickets import update_ticket

    try:
        with session.begin_nested():
            update_ticket(session, SYSTEM, ticket.id, changes, reason=f"SLA {what}: {row.policy}, {LABELS[kind]}")
    except HelpdeskError as exc:
        _failed(session, ticket.id, what, f"could not change the ticket: {exc.message}")


def _changes(actions: Actions):
    from helpdesk.services.tickets import UNSET, TicketChanges

    changes = TicketChanges(
        priority=actions.set_priority or UNSET,
        assignee=actions.reassign or UNSET,
        team=actions.team or UNSET,
        add_tags=list(actions.add_tags),
    )
    return None if changes.is_empty() else changes


def _recipients(session: Session, ticket: Ticket, targets: tuple[str, ...], what: str) -> list[int]:
    found: list[int] = []
    for target in targets:
        kind, _, name = target.partition(":")
        if target == "assignee":
            found += [ticket.assignee_id] if ticket.assignee_id else []
        elif target == "team":
            found += _team_members(session, ticket.team_id) if ticket.team_id else []
        elif kind == "team":
            team = people.find_team(session, name)
            if team is None:
                _failed(session, ticket.id, what, f"no team {name!r} to notify")
            else:
                found += _team_members(session, team.id)
        elif kind == "agent":
            agent = people.find_agent(session, name)
            if agent is None or not agent.active:
                _failed(session, ticket.id, what, f"no active agent {name!r} to notify")
            else:
                found.append(agent.id)
    return list(dict.fromkeys(found))


def _team_members(session: Session, team_id: int) -> list[int]:
    return list(session.execute(
        select(Agent.id).where(Agent.team_id == team_id, Agent.active.is_(True)).order_by(Agent.id)).scalars())


def _notice(ticket: Ticket, kind: str, what: str, row: SlaClock) -> str:
    when = row.due_at.strftime("%Y-%m-%d %H:%M UTC") if row.due_at else "?"
    verb = f"due {when}" if what == "warning" else f"breached at {when}"
    return f"#{ticket.id} {ticket.subject}: {LABELS[kind]} {verb} ({row.policy})"


def _failed(session: Session, ticket_id: int, what: str, why: str) -> None:
    record(session, SYSTEM, "ticket", ticket_id, "sla.action_failed", None, why, reason=f"on {what}")
