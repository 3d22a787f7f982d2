"""In-app notifications: what an agent should look at (SLA warnings and breaches, rules,
@mentions, followed tickets, transfers, approvals).

Stored rows, so the TUI shows them whenever it polls and the CLI lists them;
mail follows once the email channel exists. Text is stored as given and shown
literally by whoever displays it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import Notification, utcnow

TEXT_MAX = 1000


def notify(session: Session, agent_id: int, ticket_id: int | None, kind: str, text: str) -> Notification:
    """Store one notification for one agent."""
    if not kind:
        raise Invalid("must not be empty", field="kind")
    note = Notification(agent_id=agent_id, ticket_id=ticket_id, kind=kind,
                        text=(text or "")[:TEXT_MAX], created_at=utcnow())
    session.add(note)
    return note


def notify_many(session: Session, items: Iterable[tuple[int, int | None, str, str]]) -> int:
    """Store many (agent_id, ticket_id, kind, text) at once (the SLA sweep); returns how many."""
    now = utcnow()
    rows = [{"agent_id": agent_id, "ticket_id": ticket_id, "kind": kind, "text": (text or "")[:TEXT_MAX],
             "created_at": now, "read_at": None} for agent_id, ticket_id, kind, text in items]
    if rows:
        session.execute(insert(Notification), rows)
    return len(rows)


def unread(session: Session, agent_id: int, since_id: int = 0) -> list[Notification]:
    """The agent's unread notifications newer than `since_id`, oldest first (poll with the last id seen)."""
    stmt = (select(Notification)
            .where(Notification.agent_id == agent_id, Notification.read_at.is_(None), Notification.id > since_id)
            .order_by(Notification.id))
    return list(session.execute(stmt).scalars())


def recent(session: Session, agent_id: int, limit: int = 50) -> list[Notification]:
    """The agent's latest notifications, read or not, newest first."""
    stmt = (select(Notification).where(Notification.agent_id == agent_id)
            .order_by(Notification.id.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


def unread_count(session: Session, agent_id: int) -> int:
    """How many of the agent's notifications are unread (the app's badge)."""
    stmt = select(func.count()).select_from(Notification).where(
        Notification.agent_id == agent_id, Notification.read_at.is_(None))
    return session.execute(stmt).scalar() or 0


def mark_all_read(session: Session, agent_id: int) -> int:
    """Mark every unread notification of the agent read; returns how many."""
    result = session.execute(update(Notification)
                             .where(Notification.agent_id == agent_id, Notification.read_at.is_(None))
                             .values(read_at=utcnow()))
    return result.rowcount or 0


def mark_read(session: Session, agent_id: int, ids: Iterable[int]) -> int:
    """Mark these of the agent's notifications read; returns how many changed.

    Someone else's notification ids are ignored rather than refused: reading
    is harmless, and a stale id from another session must not fail a batch."""
    ids = list(ids)
    if not ids:
        return 0
    result = session.execute(
        update(Notification)
        .where(Notification.agent_id == agent_id, Notification.id.in_(ids), Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0


def as_dict(note: Notification) -> dict:
    return {"id": note.id, "ticket": note.ticket_id, "kind": note.kind, "text": note.text,
            "created_at": note.created_at.isoformat() if note.created_at else None,
            "read_at": note.read_at.isoformat() if note.read_at else None}
