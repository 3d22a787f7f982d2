"""Keeps the full-text index in step with tickets, messages and requesters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlmodel import Session, select

from helpdesk import search
from helpdesk.models import Contact, Message, SideConversation, SideMessage, Ticket


def document(subject: str, name: str | None, email: str | None, bodies: Iterable[str]) -> str:
    """A ticket's searchable text: subject, requester name and email, every message (the
    side conversations' too: agents look for what the warehouse wrote back)."""
    return "\n".join([subject, name or "", email or "", *bodies])


def documents(session: Session, ticket_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(ticket id, subject + requester + every message, side conversations' included)."""
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
    sides: set[int] = set()
    for tid, side, subject, body in session.exec(
        select(SideConversation.ticket_id, SideConversation.id, SideConversation.subject, SideMessage.body)
        .join(SideMessage, SideMessage.side_id == SideConversation.id)
        .where(SideConversation.ticket_id.in_(ids)).order_by(SideMessage.id)  # type: ignore[attr-defined]
    ):
        bodies[tid] += [body] if side in sides else [subject, body]
        sides.add(side)
    return [(tid, document(subject, name, email, bodies[tid])) for tid, subject, name, email in rows]


def reindex(session: Session, ticket_ids: Sequence[int]) -> None:
    pending = session.info.get("reindex_later")
    if pending is not None:  # inside `deferred`: once per ticket, on the way out
        pending.update(ticket_ids)
    elif ticket_ids:
        search.store(session, documents(session, ticket_ids))


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Batch work (mail intake, bulk changes): index each touched ticket once at the end."""
    if "reindex_later" in session.info:
        yield
        return
    pending = session.info["reindex_later"] = set()
    try:
        yield
    finally:
        session.info.pop("reindex_later", None)
    ids = sorted(pending)
    for start in range(0, len(ids), 500):
        search.store(session, documents(session, ids[start:start + 500]))
