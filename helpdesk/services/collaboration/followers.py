"""Followers: agents told of every change to a ticket that someone else makes.

`ticket follow` / `unfollow` and @mentions add and remove rows. The subscriber
collects a transaction's changes per ticket and, just before the commit, leaves
each follower one notification per changed ticket: not one per field, none for
their own changes. Followers are agents; nothing here is ever mailed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session

from helpdesk.models import Agent, Ticket, TicketFollower, utcnow
from helpdesk.services.core import bus, notifications
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.people.agents import get_agent
from helpdesk.services.tickets.lifecycle import get_ticket

PENDING = "collaboration.changes"  # session.info: {ticket_id: [(actor, changes)]} not yet told
TOLD = "collaboration.told"  # session.info: {(ticket_id, agent_id)} told already (a mention carries the note)
PAGE = 500
MESSAGES = {"reply": "replied", "note": "added a note", "customer_reply": "the customer replied"}


def _whom(session: Session, actor: Actor, agent: str | None) -> Agent:
    """The agent to (un)follow: yourself, or another agent (agents and admins only)."""
    if agent is None:
        if actor.agent_id is None:
            from helpdesk.errors import Invalid

            raise Invalid("following belongs to an agent (use --as EMAIL, or --agent)", field="agent")
        require(actor, "viewer")
        return session.get(Agent, actor.agent_id)
    found = get_agent(session, agent)
    if found.id != actor.agent_id:
        require(actor, "agent")
    return found


def follow(session: Session, actor: Actor, ticket_id: int, agent: str | None = None) -> bool:
    """Make the agent (default: the actor) follow the ticket; False when they already did."""
    who = _whom(session, actor, agent)
    return add_follower(session, actor, get_ticket(session, ticket_id).id, who)


def unfollow(session: Session, actor: Actor, ticket_id: int, agent: str | None = None) -> bool:
    """Stop the agent (default: the actor) following the ticket; False when they did not."""
    who = _whom(session, actor, agent)
    ticket = get_ticket(session, ticket_id)
    gone = session.execute(delete(TicketFollower).where(TicketFollower.ticket_id == ticket.id,
                                                        TicketFollower.agent_id == who.id)).rowcount
    if gone:
        record(session, actor, "ticket", ticket.id, "follower", who.email, None)
    return bool(gone)


def add_follower(session: Session, actor: Actor, ticket_id: int, agent: Agent, *, reason: str | None = None) -> bool:
    if session.get(TicketFollower, (ticket_id, agent.id)) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket_id, agent_id=agent.id, since=utcnow()))
    record(session, actor, "ticket", ticket_id, "follower", None, agent.email, reason=reason)
    session.flush()
    return True


def followers_of(session: Session, ticket_id: int) -> list[Agent]:
    stmt = (select(Agent).join(TicketFollower, TicketFollower.agent_id == Agent.id)
            .where(TicketFollower.ticket_id == ticket_id).order_by(TicketFollower.since, Agent.email))
    return list(session.execute(stmt).scalars())


def mark_told(session: Session, ticket_id: int, agent_id: int) -> None:
    """This agent has heard of this transaction's change already (e.g. by a mention)."""
    session.info.setdefault(TOLD, set()).add((ticket_id, agent_id))


@bus.subscribe("ticket.updated", "side_conversation.updated")
def collect(session: Session, event: bus.DomainEvent) -> None:
    if event.ticket_id is None or not event.changes:
        return
    session.info.setdefault(PENDING, {}).setdefault(event.ticket_id, []).append((event.actor, dict(event.changes)))
    bus.at_commit(session, "collaboration.followers", tell_followers)


@bus.many(collect)
def collect_many(session: Session, events: list[bus.DomainEvent]) -> None:
    """`collect` for a rule's firing over a batch: the same pending changes, one `at_commit`."""
    pending = session.info.setdefault(PENDING, {})
    for event in events:
        if event.ticket_id is not None and event.changes:
            pending.setdefault(event.ticket_id, []).append((event.actor, dict(event.changes)))
    if pending:
        bus.at_commit(session, "collaboration.followers", tell_followers)


def tell_followers(session: Session) -> None:
    """One notification per follower and changed ticket, for the changes others made."""
    pending: dict[int, list] = session.info.pop(PENDING, {})
    if not pending:
        return
    told = session.info.get(TOLD, set())
    numbers, rows = sorted(pending), []
    for start in range(0, len(numbers), PAGE):  # a bulk change: keep `IN (...)` short
        rows += session.execute(select(TicketFollower.ticket_id, TicketFollower.agent_id)
                                .where(TicketFollower.ticket_id.in_(numbers[start:start + PAGE]))
                                .order_by(TicketFollower.ticket_id, TicketFollower.agent_id)).all()
    items = []
    for ticket_id, agent_id in rows:
        theirs = [(a, ch) for a, ch in pending[ticket_id] if getattr(a, "agent_id", None) != agent_id]
        if theirs and (ticket_id, agent_id) not in told:
            items.append((agent_id, ticket_id, "follower", summary(session.get(Ticket, ticket_id), theirs)))
    notifications.notify_many(session, items)


def summary(ticket: Ticket, changes: list[tuple[Any, dict]]) -> str:
    """'#12 Printer jams — Ada Admin: status open → pending, added a note; rule:VIP: priority → high'."""
    by_actor: dict[str, list[str]] = {}
    for actor, diff in changes:
        who = getattr(actor, "label", None) if getattr(actor, "agent_id", None) is None else actor.name
        by_actor.setdefault(who or "system", []).extend(_said(name, old, new) for name, (old, new) in diff.items())
    parts = "; ".join(f"{who}: {', '.join(dict.fromkeys(what))}" for who, what in by_actor.items())
    return f"#{ticket.id} {ticket.subject} — {parts}"


def _said(name: str, old: Any, new: Any) -> str:
    if name in MESSAGES:
        return MESSAGES[name]
    if name == "side_conversation":  # new = "side conversation #3: reply from warehouse@example.com"
        return str(new)
    show = (lambda v: "—" if v in (None, "", []) else ", ".join(map(str, v)) if isinstance(v, list) else str(v)[:60])
    return f"{name} {show(old)} → {show(new)}"
