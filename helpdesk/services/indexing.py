"""Keeps the full-text index in step with tickets, messages and requesters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session, select

from helpdesk import search
from helpdesk.models import Contact, Message, Ticket


def documents(session: Session, ticket_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(ticket id, subject + requester + every message) for these tickets."""
    ids = list(dict.fromkeys(ticket_ids))
    rows = session.exec(
        select(Ticket.id, Ticket.subject, Contact.name, Contact.email)
        .outerjoin(Contact, Contact.id == Ticket.requester_id)
        .where(Ticket.id.in_(ids))  # type: ignore[union-attr]
    ).all()
    bodies: dict[int, list[str]] = defaultdict(list)
    for tid, body in session.exec(
        select(Message.ticket_id, Message.body).where(Message.ticket_id.in_(ids)).order_by(Message.id)  # type: ignore[attr-defined]
    ):
        bodies[tid].append(body)
    return [(tid, "\n".join([subject, name or "", email or "", *bodies[tid]])) for tid, subject, name, email in rows]


def reindex(session: Session, ticket_ids: Sequence[int]) -> None:
    if ticket_ids:
        search.store(session, documents(session, ticket_ids))
