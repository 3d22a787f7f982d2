"""Cheap change polling: has anything on the desk changed since I last looked?

Every write appends an Event, and SLA sweeps move `sla_state`, so a handful of
index-only aggregates tell the app whether to re-read what it shows. Read-only."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.models import Event, Notification, Ticket

T = Ticket.__table__.c
ALERT_STATES = ("warning", "breached")
ACTIVE = ("new", "open", "pending", "on_hold")


class Stamp(NamedTuple):
    last_event: int
    last_ticket: int
    last_update: str  # ISO text; compared for equality only
    warning: int
    breached: int
    last_notification: int


def desk_stamp(session: Session) -> Stamp:
    """Changes whenever a ticket, message, clock state or notification changes."""
    last_event = session.execute(select(func.max(Event.id))).scalar() or 0
    last_ticket = session.execute(select(func.max(T.id))).scalar() or 0
    last_update = session.execute(select(func.max(T.updated_at))).scalar()
    states = dict(session.execute(select(T.sla_state, func.count()).where(T.sla_state.in_(ALERT_STATES))
                                  .group_by(T.sla_state)).all())
    last_note = session.execute(select(func.max(Notification.id))).scalar() or 0
    return Stamp(last_event, last_ticket, last_update.isoformat() if last_update else "",
                 states.get("warning", 0), states.get("breached", 0), last_note)


def changed_tickets(session: Session, after_event: int, limit: int = 1000) -> set[int]:
    """Numbers of the tickets with events after `after_event` (at most `limit` events read)."""
    stmt = select(Event.ticket_id).where(Event.id > after_event, Event.ticket_id.is_not(None))
    return set(session.execute(stmt.order_by(Event.id).limit(limit)).scalars())


def sla_alerts(session: Session, agent_id: int) -> dict[int, tuple[str, str]]:
    """My active tickets whose SLA is in warning or breached: {number: (state, subject)}.

    The app notifies on what is new here when the notification service is absent."""
    stmt = select(T.id, T.sla_state, T.subject).where(
        T.assignee_id == agent_id, T.sla_state.in_(ALERT_STATES), T.status.in_(ACTIVE))
    return {i: (state, subject) for i, state, subject in session.execute(stmt)}
