"""Helpers the collaboration tests share: a desk with Chinese-named agents, reading notifications."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.models import Event, Notification
from helpdesk.services.core.actors import actor_of
from helpdesk.services.people import agents
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket


def add_agents(desk, crew, *people: tuple[str, str, str | None]):
    """(email, name, team) -> their Actors, in order."""
    def make(s):
        return [actor_of(agents.add_agent(s, crew.admin, email, name, "agent", team)) for email, name, team in people]
    return desk.write(make)


def ticket(desk, crew, subject="Printer jams", requester="alice@example.com") -> int:
    return desk.write(lambda s: create_ticket(s, crew.admin, NewTicket(subject=subject, body="It jams.",
                                                                      requester=requester)).id)


def notes_of(desk, actor, kind: str | None = None) -> list[Notification]:
    with desk.read() as s:
        stmt = select(Notification).where(Notification.agent_id == actor.agent_id).order_by(Notification.id)
        return [n for n in s.execute(stmt).scalars() if kind is None or n.kind == kind]


def events(desk, tid: int, field: str) -> list[Event]:
    with desk.read() as s:
        stmt = select(Event).where(Event.ticket_id == tid, Event.field == field).order_by(Event.id)
        return list(s.execute(stmt).scalars())
