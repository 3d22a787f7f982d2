"""Messages on a ticket: public replies, internal notes, customer messages."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk.errors import Conflict, Invalid
from helpdesk.models import Contact, Message, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.tickets.indexing import reindex
from helpdesk.services.tickets.lifecycle import get_ticket, touch

BODY_MAX = 1_000_000


def clean_body(body: str | None) -> str:
    text = (body or "").replace("\x00", "").strip("\n")
    if not text.strip():
        raise Invalid("must not be empty", field="body")
    if len(text) > BODY_MAX:
        raise Invalid(f"is longer than {BODY_MAX} characters", field="body")
    return text


def add_agent_message(session: Session, actor: Actor, ticket_id: int, body: str, *, kind: str = "reply",
                      if_version: int | None = None, channel: str | None = None,
                      reason: str | None = None) -> Message:
    """A public reply (kind="reply") or an internal note (kind="note") by an agent."""
    return post_agent_message(session, actor, ticket_id, body, kind=kind, if_version=if_version, channel=channel,
                              reason=reason)[0]


def post_agent_message(session: Session, actor: Actor, ticket_id: int, body: str, *, kind: str = "reply",
                       if_version: int | None = None, channel: str | None = None,
                       reason: str | None = None) -> tuple[Message, dict]:
    """`add_agent_message`, also returning the ticket's {field: (old, new)} it caused (for `--json`)."""
    from helpdesk.services.tickets.lifecycle import check_version

    require(actor, "agent")
    if kind not in ("reply", "note"):
        raise Invalid(f"unknown message kind {kind!r} (use reply or note)", field="kind")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    if ticket.status == "closed":
        raise Conflict(f"ticket #{ticket.id} is closed; reopen it first (helpdesk ticket reopen {ticket.id})")
    now = utcnow()
    message = Message(ticket_id=ticket.id, kind=kind, body=clean_body(body), author_agent_id=actor.agent_id,
                      author_name=actor.name, channel=channel, created_at=now)
    session.add(message)
    diff: dict = {kind: (None, f"{len(message.body)} characters")}
    if kind == "reply":
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            diff["first_response_at"] = (None, now)
        if ticket.status == "new":
            ticket.status = "open"
            diff["status"] = ("new", "open")
    session.flush()
    reindex(session, [ticket.id])
    touch(session, actor, ticket, diff, reason=reason)
    bus.publish(session, bus.DomainEvent("message.added", ticket.id, actor, data={"message_id": message.id, "kind": kind, "by": "agent"}))
    return message, diff


def add_customer_message(session: Session, actor: Actor, ticket_id: int, contact: Contact | None, body: str,
                         *, channel: str | None = None, headers: dict | None = None,
                         mail_message_id: str | None = None) -> Message:
    """A message from the requester (mail, import, portal). Reopens pending/solved tickets.
    The doors record it as the system or the portal; a viewer may not put words in a customer's mouth."""
    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket #{ticket.id} is closed; a new message needs a follow-up ticket")
    now = utcnow()
    message = Message(ticket_id=ticket.id, kind="reply", body=clean_body(body),
                      author_contact_id=contact.id if contact else None,
                      author_name=contact.name if contact else None, channel=channel,
                      headers=headers or {}, mail_message_id=mail_message_id, created_at=now)
    session.add(message)
    diff: dict = {"customer_reply": (None, f"{len(message.body)} characters")}
    if ticket.status in ("pending", "solved"):
        diff["status"] = (ticket.status, "open")
        ticket.status = "open"
    session.flush()
    reindex(session, [ticket.id])
    touch(session, actor, ticket, diff)
    bus.publish(session, bus.DomainEvent("message.added", ticket.id, actor, data={"message_id": message.id, "kind": "reply", "by": "customer"}))
    return message
