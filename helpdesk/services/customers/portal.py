"""What the customer portal does: track a request, read its page, reply, open a request.

The web layer (helpdesk/portal/) only parses forms and renders; every rule is here.
A lookup answers the same whether the number and address match or not: the link is
only ever mailed to the requester on file, and the lookup is counted either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlmodel import Session

from helpdesk.errors import Conflict
from helpdesk.models import Agent, Attachment, Contact, Message, Rating, Ticket, utcnow
from helpdesk.services.core.actors import Actor
from helpdesk.services.customers import rate_limits
from helpdesk.services.customers.portal_form import portal_type, typed_answers
from helpdesk.services.customers.portal_links import link_days, make_token, portal_url
from helpdesk.services.people.names import EMAIL

PORTAL = Actor(None, "portal", "Customer portal", "agent")  # who the portal's changes are recorded as
NUMBER_MAX = 12
STEPS = ("new", "open", "solved", "closed")  # the status line, like a parcel's: received, working, solved, closed


# -- tracking -------------------------------------------------------------------------

@dataclass
class FormErrors(Exception):
    """Input the customer must correct: {field: reason code} (the page words them)."""

    errors: dict[str, str]


def track(session: Session, number: str, email: str, ip: str, *, base_url: str | None = None,
          now: datetime | None = None) -> str:
    """A lookup by ticket number and email: "ok" (whatever the pair) or "limited".

    When the pair matches the requester on file, the ticket's link is queued to that
    address; nothing in the answer says whether it did."""
    now = now or utcnow()
    text = (number or "").strip().lstrip("#")
    address = (email or "").strip().lower()
    errors = {}
    if not text.isdigit() or len(text) > NUMBER_MAX:
        errors["number"] = "number"
    if not EMAIL.match(address) or len(address) > 320:
        errors["email"] = "email"
    if errors:
        raise FormErrors(errors)
    ticket_number = int(text)
    if not rate_limits.allow(session, rate_limits.TRACK_IP, ip, now):
        return "limited"
    if not rate_limits.allow(session, rate_limits.TRACK_TICKET, str(ticket_number), now):
        return "limited"
    ticket = session.get(Ticket, ticket_number) if ticket_number < 2**62 else None
    contact = session.get(Contact, ticket.requester_id) if ticket is not None and ticket.requester_id else None
    if contact is not None and contact.email and contact.email.lower() == address:
        mail_link(session, ticket, contact, "portal_link", base_url=base_url, now=now)
    return "ok"


def mail_link(session: Session, ticket: Ticket, contact: Contact, kind: str, *, base_url: str | None = None,
              now: datetime | None = None) -> None:
    """Queue a mail holding the ticket's portal link (a lookup's answer, a web request's acknowledgement)."""
    from helpdesk.services.mail.outbox import Draft, queue

    link = portal_url(session, base_url) + "/t/" + make_token(session, ticket.id, now=now)
    values = {"subject": ticket.subject, "link": link, "days": link_days(session, "t")}
    queue(session, ticket, Draft(kind, contact.email, contact.name, values, True), now=now)


# -- the status page --------------------------------------------------------------------

@dataclass
class Post:
    author: str
    by_agent: bool
    body: str
    at: datetime
    files: list[str] = field(default_factory=list)


@dataclass
class StatusPage:
    number: int
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    steps: list[tuple[str, str]]  # (status, done | current | todo)
    stages: list[tuple[str, str]]  # (stage, done | current | todo), when its type has stages
    posts: list[Post]
    can_reply: bool
    merged: bool
    rating: str | None
    details: list[tuple[str, str]] = field(default_factory=list)  # (label, value) the customer gave on the portal


def status_steps(status: str) -> list[tuple[str, str]]:
    """The parcel-tracking line: received -> being worked on -> solved -> closed."""
    where = {"new": 0, "open": 1, "pending": 1, "on_hold": 1, "solved": 2, "closed": 3}.get(status, 0)
    return [(name, "done" if i < where else "current" if i == where else "todo") for i, name in enumerate(STEPS)]


def stage_steps(session: Session, ticket_type: str | None, stage: str | None, status: str,
                find_type=None) -> list[tuple[str, str]]:
    """The line of the ticket's type's stages, when it has any. `find_type(session, name)`
    may be a cached lookup (the portal keeps the loaded types a few seconds)."""
    if not ticket_type:
        return []
    if find_type is None:
        from helpdesk.services.types.catalog import find_type
    kind = find_type(session, ticket_type)
    names = [s.name for s in kind.stages] if kind is not None else []
    if not names:
        return []
    where = names.index(stage) if stage in names else -1
    done = status in ("solved", "closed")
    return [(name, "done" if done or i < where else "current" if i == where else "todo")
            for i, name in enumerate(names)]


# Built once: this page is what customers load most, and building a statement costs more than running it.
_TICKET = (select(Ticket.id, Ticket.subject, Ticket.status, Ticket.created_at, Ticket.updated_at, Ticket.type,
                  Ticket.stage, Ticket.merged_into_id, Rating.rating, Ticket.fields)
           .outerjoin(Rating, Rating.ticket_id == Ticket.id).where(Ticket.id == bindparam("ticket_id")))
_POSTS = (select(Message.id, Message.author_agent_id, Agent.name, Message.author_name, Message.body,
                 Message.created_at, Attachment.filename)
          .outerjoin(Agent, Agent.id == Message.author_agent_id)
          .outerjoin(Attachment, Attachment.message_id == Message.id)
          .where(Message.ticket_id == bindparam("ticket_id"), Message.kind == "reply")
          .order_by(Message.created_at, Message.id, Attachment.id))


def status_page(session: Session, ticket_id: int, *, find_type=None) -> StatusPage | None:
    """What the requester may see of their ticket: never notes, never another ticket.
    Two statements: the ticket with its rating; the public messages with their authors and files."""
    conn = session.connection()
    ticket = conn.execute(_TICKET, {"ticket_id": ticket_id}).first()
    if ticket is None:
        return None
    rows = conn.execute(_POSTS, {"ticket_id": ticket_id}).all()
    posts: list[Post] = []
    last_id = None
    for message_id, agent_id, agent_name, name, body, at, filename in rows:
        if message_id != last_id:
            author = (agent_name or name or "") if agent_id is not None else (name or "")
            posts.append(Post(author, agent_id is not None, body, at))
            last_id = message_id
        if filename is not None:
            posts[-1].files.append(filename)
    number, subject, status, created, updated, kind, stage, merged_into, rating, values = ticket
    return StatusPage(number, subject, status, created, updated, status_steps(status),
                      stage_steps(session, kind, stage, status, find_type), posts,
                      status != "closed" and merged_into is None, merged_into is not None, rating,
                      portal_details(session, kind, values or {}, find_type))


def portal_details(session: Session, ticket_type: str | None, values: dict, find_type=None) -> list[tuple[str, str]]:
    """The answers a customer may see again: the fields their type asks on the portal, in
    its order; an internal type's or an agents-only field's values never."""
    if not ticket_type or not values:
        return []
    if find_type is None:
        from helpdesk.services.types.catalog import find_type
    kind = find_type(session, ticket_type)
    if kind is None or not kind.portal:
        return []
    return [(spec.label or spec.key, str(values[spec.key])) for spec in kind.portal_fields if values.get(spec.key)]


# -- writing as the customer ------------------------------------------------------------

REPLY_MAX = 20_000


def customer_reply(session: Session, ticket_id: int, body: str, *, now: datetime | None = None) -> str:
    """A reply from the status page: "ok", "limited" or "closed". Reopens a solved ticket,
    as a mailed reply does."""
    from helpdesk.services.tickets.conversation import add_customer_message

    text = (body or "").replace("\x00", "").strip()
    if not text:
        raise FormErrors({"body": "required"})
    if len(text) > REPLY_MAX:
        raise FormErrors({"body": "too_long"})
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.status == "closed" or ticket.merged_into_id is not None:
        return "closed"
    if not rate_limits.allow(session, rate_limits.REPLY_TICKET, str(ticket.id), now):
        return "limited"
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    try:
        add_customer_message(session, PORTAL, ticket.id, contact, text, channel="web")
    except Conflict:
        return "closed"
    return "ok"


@dataclass
class WebRequest:
    name: str = ""
    email: str = ""
    subject: str = ""
    body: str = ""
    type: str = ""  # a request type offered on the portal, or "" for a plain request
    fields: dict[str, str] = field(default_factory=dict)  # that type's answers, by field key


def open_request(session: Session, form: WebRequest, ip: str, *, base_url: str | None = None,
                 now: datetime | None = None) -> str:
    """The request form: a ticket (channel web) and an acknowledgement mail with its link.
    Returns "ok" or "limited"; bad input raises FormErrors (nothing written)."""
    from helpdesk.services.people.contacts import requester_for
    from helpdesk.services.tickets.lifecycle import NewTicket, SUBJECT_MAX, create_ticket

    now = now or utcnow()
    name = " ".join((form.name or "").replace("\x00", "").split())
    email = (form.email or "").strip().lower()
    subject = " ".join((form.subject or "").replace("\x00", "").split())
    body = (form.body or "").replace("\x00", "").strip()
    errors = {}
    if len(name) > 200:
        errors["name"] = "too_long"
    if not EMAIL.match(email) or len(email) > 320:
        errors["email"] = "email"
    if not subject:
        errors["subject"] = "required"
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = "too_long"
    if not body:
        errors["body"] = "required"
    elif len(body) > REPLY_MAX:
        errors["body"] = "too_long"
    kind, values = None, {}
    if (form.type or "").strip():
        kind = portal_type(session, form.type)
        if kind is None:
            errors["type"] = "type"
        else:
            values, wrong = typed_answers(kind, form.fields)
            errors.update(wrong)
    if errors:
        raise FormErrors(errors)
    if not rate_limits.allow(session, rate_limits.REQUEST_IP, ip, now):
        return "limited"
    ticket = create_ticket(session, PORTAL, NewTicket(subject=subject, body=body, requester=email,
                                                      requester_name=name or None, channel="web",
                                                      type=kind.name if kind else None, fields=values))
    contact = requester_for(session, PORTAL, email)
    mail_link(session, ticket, contact, "web_ack", base_url=base_url, now=now)
    return "ok"
