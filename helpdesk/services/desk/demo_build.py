"""Doing the demo's story through the services, then giving what they wrote the story's time.

The services stamp every row with the moment they run (the load). Right after each
step, the rows it wrote (messages, events, the ticket's times) get the step's time,
so the desk's history is what `demo_plan` told: a first reply at 10:12 is the
ticket's first_response_at, its event and its message at 10:12. The SLA clocks are
recomputed once from that history at the end (`tracking.one_recompute`), as of now."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from helpdesk.models import Agent, Contact, Event, Message, Organization, SlaClock, Team, Ticket
from helpdesk.services.core.actors import SYSTEM, Actor
from helpdesk.services.core.audit import record
from helpdesk.services.desk.demo_plan import Step
from helpdesk.services.sla.escalations import EVENT_NAMES, LABELS
from helpdesk.services.sla.tracking import check_at
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, close_ticket, create_ticket, update_ticket

TICKET_TIMES = ("updated_at", "status_changed_at", "first_response_at", "solved_at", "closed_at")


def create(session: Session, actor: Actor, new: NewTicket, *, since: datetime) -> Ticket:
    ticket = create_ticket(session, actor, new)
    stamp(session, ticket, new.created_at, since=since)
    return ticket


def act(session: Session, agent: Actor, ticket: Ticket, step: Step, text: str, contact: Contact | None,
        *, since: datetime) -> None:
    """One step of the story, through the service a person would use, then stamped."""
    if step.action in ("reply", "note"):
        conversation.add_agent_message(session, agent, ticket.id, text, kind=step.action)
    elif step.action == "customer":
        conversation.add_customer_message(session, SYSTEM, ticket.id, contact, text, channel=ticket.channel)
    elif step.word == "closed":
        close_ticket(session, agent, ticket.id)
    else:
        update_ticket(session, agent, ticket.id, TicketChanges(status=step.word))
    stamp(session, ticket, step.at, since=since)


def stamp(session: Session, ticket: Ticket, at: datetime, *, since: datetime) -> None:
    """Rows of this ticket written at or after `since` (the load) happened at `at`."""
    session.flush()
    run = session.connection().execute  # plain statements: the rows' ORM copies are not read again
    run(update(Message).where(Message.ticket_id == ticket.id, Message.created_at >= since).values(created_at=at))
    run(update(Event).where(Event.ticket_id == ticket.id, Event.at >= since).values(at=at))
    if ticket.first_response_at is not None and ticket.first_response_at >= since:
        run(update(Event).where(Event.ticket_id == ticket.id, Event.field == "first_response_at",
                                Event.at == at).values(new=at.isoformat()))
    for name in TICKET_TIMES:
        value = getattr(ticket, name)
        if value is not None and value >= since:
            setattr(ticket, name, at)


def settle_escalations(session: Session, now: datetime) -> None:
    """Warnings and breaches before now are in the tickets' history, recorded when they
    happened and marked fired, so the sweep does not act on the past. Their actions
    (notifications, tags) are not replayed: the demo starts from a quiet desk."""
    rows_of: dict[int, dict[str, SlaClock]] = defaultdict(dict)
    for row in session.execute(select(SlaClock).order_by(SlaClock.ticket_id)).scalars():
        rows_of[row.ticket_id][row.kind] = row
        warned = row.warn_at if row.warn_at and row.warn_at <= now and (
            row.met_at is None or row.warn_at < row.met_at) else None
        for what, instant, marker in (("warning", warned, "warned_at"), ("breach", row.breached_at, "breach_fired_at")):
            if instant is None or instant > now or getattr(row, marker) is not None:
                continue
            setattr(row, marker, instant)
            if row.due_at is None:  # paused since: when it was due then is not kept, so no note
                continue
            said = f"{LABELS[row.kind]} {'due' if what == 'warning' else 'breached'} at {row.due_at.isoformat()}"
            record(session, SYSTEM, "ticket", row.ticket_id, EVENT_NAMES[what], None, said,
                   reason=f"SLA policy {row.policy}", at=instant)
    for ticket_id, rows in rows_of.items():
        session.get(Ticket, ticket_id).sla_check_at = check_at(rows)
    session.flush()


def backdate_people(session: Session, at: datetime, *, since: datetime) -> None:
    """Agents, teams, contacts and organizations were there before the first ticket."""
    for model in (Agent, Team, Contact, Organization):
        session.execute(update(model).where(model.created_at >= since).values(created_at=at))
    session.execute(update(Event).where(Event.ticket_id.is_(None), Event.entity.in_(("agent", "team", "contact",
                    "organization")), Event.at >= since).values(at=at))
