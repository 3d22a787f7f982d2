"""Side conversations: mail with a third party (a warehouse, a supplier, finance) about a ticket.

Kept apart from the customer's conversation in tables of their own: the requester is
never a recipient, nothing here is ever mailed to them or shown on their side, and a
side conversation never changes the ticket (no status, version, SLA clock, first
response or rule). Its changes are events on the ticket's timeline, and followers hear
of them like any change.

Outgoing mail goes through the outbox with its own Message-ID and a subject tag
"[#12-S3]" (ticket 12, side conversation 3). A reply threads back by In-Reply-To /
References first, else by that tag; one from an address that is not a participant is
still filed there (Zendesk does the same), marked as from that address and not a
participant, and it does not become one. A reply to a closed side conversation opens
it again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, select

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import Agent, Contact, Outbox, SideConversation, SideMessage, Ticket, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.mail import templates as mail_templates
from helpdesk.services.mail.templates import setting
from helpdesk.services.people.names import clean_email
from helpdesk.services.tickets import indexing
from helpdesk.services.tickets.lifecycle import get_ticket

if TYPE_CHECKING:
    from helpdesk.mail import ParsedMail  # the mail modules load only when mail is built or read

EVENT = "side_conversation"  # the timeline's field for every side conversation change
CHANGED = "side_conversation.updated"  # the domain event followers hear
SUBJECT_MAX = 300
MAX_PARTICIPANTS = 20
BODY_MAX = 1_000_000
_MAX_IDS = 50  # thread ids looked up per message


# -- reading ------------------------------------------------------------------------

def get_side(session: Session, ticket_id: int, side_id: int) -> SideConversation:
    side = session.get(SideConversation, side_id)
    if side is None or side.ticket_id != ticket_id:
        raise NotFound(f"ticket #{ticket_id} has no side conversation {side_id} (helpdesk ticket sides {ticket_id})")
    return side


def sides_of(session: Session, ticket_id: int) -> list[SideConversation]:
    return list(session.exec(select(SideConversation).where(SideConversation.ticket_id == ticket_id)
                             .order_by(SideConversation.id)))


def sides_json(session: Session, ticket_id: int) -> list[dict]:
    """`side_conversations[]` of `ticket show --json`: each with its messages, oldest first."""
    sides = sides_of(session, ticket_id)
    if not sides:
        return []
    messages: dict[int, list[dict]] = {s.id: [] for s in sides}
    stmt = select(SideMessage).where(SideMessage.side_id.in_(list(messages))).order_by(SideMessage.id)
    for m in session.exec(stmt):
        messages[m.side_id].append(message_json(m))
    return [side_json(s, messages[s.id]) for s in sides]


def side_json(side: SideConversation, messages: list[dict]) -> dict:
    return {"id": side.id, "ticket": side.ticket_id, "subject": side.subject, "to": list(side.participants),
            "state": side.state, "created_by": side.created_by, "created_at": _iso(side.created_at),
            "updated_at": _iso(side.updated_at), "messages": messages}


def message_json(m: SideMessage) -> dict:
    headers = m.headers or {}
    return {"id": m.id, "direction": m.direction, "author": m.author, "author_name": m.author_name,
            "to": list(m.to or []), "body": m.body, "created_at": _iso(m.created_at),
            "outsider": bool(headers.get("outsider")), "attachments": list(headers.get("attachments") or [])}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- writing (agents) ---------------------------------------------------------------

def start_side(session: Session, actor: Actor, ticket_id: int, to: list[str], body: str,
               subject: str | None = None) -> tuple[SideConversation, SideMessage]:
    """Start a side conversation on the ticket and mail its first message to `to`."""
    require(actor, "agent")
    ticket = _open_ticket(session, ticket_id)
    recipients = clean_recipients(session, ticket, to)
    if not recipients:
        raise Invalid("say who to write to: --to ADDRESS (a third party, never the requester)", field="to")
    text = _clean_body(body)
    topic = _clean_subject(subject if subject is not None else ticket.subject)
    from_addr = _desk_address(session)
    now = utcnow()
    side = SideConversation(ticket_id=ticket.id, subject=topic, participants=recipients, state="open",
                            created_by=actor.email, created_at=now, updated_at=now)
    session.add(side)
    session.flush()
    message = _send(session, actor, ticket, side, text, recipients, from_addr, now)
    _changed(session, actor, ticket.id, f"side conversation #{side.id} with {', '.join(recipients)} started",
             reason=topic, now=now)
    return side, message


def write_side(session: Session, actor: Actor, ticket_id: int, side_id: int, body: str,
               to: list[str] = ()) -> SideMessage:
    """Write into an existing side conversation (to all its participants; `to` adds more).
    Writing into a closed one opens it again."""
    require(actor, "agent")
    ticket = _open_ticket(session, ticket_id)
    side = get_side(session, ticket.id, side_id)
    added = [a for a in clean_recipients(session, ticket, list(to)) if a not in side.participants]
    if len(side.participants) + len(added) > MAX_PARTICIPANTS:
        raise Invalid(f"a side conversation has at most {MAX_PARTICIPANTS} participants", field="to")
    text = _clean_body(body)
    from_addr = _desk_address(session)
    now = utcnow()
    if added:
        side.participants = [*side.participants, *added]
        _changed(session, actor, ticket.id, f"side conversation #{side.id}: {', '.join(added)} added", now=now)
    if side.state == "closed":
        side.state = "open"
        _changed(session, actor, ticket.id, f"side conversation #{side.id} reopened", now=now)
    message = _send(session, actor, ticket, side, text, list(side.participants), from_addr, now)
    _changed(session, actor, ticket.id, f"side conversation #{side.id}: message to {', '.join(side.participants)}",
             now=now)
    return message


def close_side(session: Session, actor: Actor, ticket_id: int, side_id: int) -> bool:
    """Close a side conversation; False when it was closed already. A reply opens it again."""
    require(actor, "agent")
    side = get_side(session, get_ticket(session, ticket_id).id, side_id)
    if side.state == "closed":
        return False
    side.state, side.updated_at = "closed", utcnow()
    session.add(side)
    _changed(session, actor, side.ticket_id, f"side conversation #{side.id} closed")
    return True


def clean_recipients(session: Session, ticket: Ticket, to: list[str]) -> list[str]:
    """Lower-cased, each once; refused: a malformed address, the requester, the desk itself."""
    out: list[str] = []
    requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    own = str(setting(session, "mail.from") or "").strip().lower()
    for raw in to:
        for piece in str(raw).split(","):
            if not piece.strip():
                continue
            email = clean_email(piece, field="to")
            if not email.partition("@")[0].isascii():
                raise Invalid(f"{piece.strip()!r}: non-ASCII local parts are not supported", field="to")
            if requester is not None and requester.email and email == requester.email.lower():
                raise Invalid(f"{email} is the ticket's requester: a side conversation never goes to the customer "
                              f"(use helpdesk ticket reply {ticket.id})", field="to")
            if own and email == own:
                raise Invalid(f"{email} is the desk's own address (mail.from)", field="to")
            if email not in out:
                out.append(email)
    if len(out) > MAX_PARTICIPANTS:
        raise Invalid(f"a side conversation has at most {MAX_PARTICIPANTS} participants", field="to")
    return out


def _open_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    if ticket.status == "closed":
        raise Conflict(f"ticket #{ticket.id} is closed; reopen it first (helpdesk ticket reopen {ticket.id})")
    return ticket


def _clean_body(body: str | None) -> str:
    text = (body or "").replace("\x00", "").strip("\n")
    if not text.strip():
        raise Invalid("must not be empty", field="body")
    if len(text) > BODY_MAX:
        raise Invalid(f"is longer than {BODY_MAX} characters", field="body")
    return text


def _clean_subject(subject: str) -> str:
    text = " ".join((subject or "").replace("\x00", "").split())
    if not text:
        raise Invalid("must not be empty", field="subject")
    if len(text) > SUBJECT_MAX:
        raise Invalid(f"is longer than {SUBJECT_MAX} characters", field="subject")
    return text


def _desk_address(session: Session) -> str:
    from_addr = setting(session, "mail.from")
    if not from_addr:
        raise Invalid("mail is not set up, so a side conversation could not be sent: "
                      "helpdesk config set mail.from support@example.com (and mail.smtp_url)", field="mail.from")
    return str(from_addr)


def _send(session: Session, actor: Actor, ticket: Ticket, side: SideConversation, text: str,
          recipients: list[str], from_addr: str, now: datetime) -> SideMessage:
    """Store the agent's message and queue its mail (one mail, every participant in To)."""
    from helpdesk.mail import build_message, tag_side_subject

    earlier = list(session.exec(select(SideMessage.mail_message_id).where(
        SideMessage.side_id == side.id, SideMessage.mail_message_id.is_not(None)).order_by(SideMessage.id)))
    desk_name = str(setting(session, "desk.name") or "Helpdesk")
    values = {"ticket": ticket.id, "subject": ("Re: " if earlier else "") + side.subject, "body": text,
              "agent": actor.name, "desk": desk_name, "name": ""}
    subject, body = mail_templates.render(session, "side", values)
    subject = tag_side_subject(subject, ticket.id, side.id)
    raw, mail_id = build_message(
        from_addr=from_addr, from_name=desk_name, to_addr=recipients[0], to_name="", more_to=recipients[1:],
        subject=subject, body=body, message_id_domain=from_addr.rpartition("@")[2],
        in_reply_to=earlier[-1] if earlier else None, references=earlier,
        loop_marker=from_addr.strip().lower(), date=now)  # as intake.loop_marker: the desk's address
    message = SideMessage(side_id=side.id, direction="out", author=actor.email, author_name=actor.name, body=text,
                          to=list(recipients), mail_message_id=mail_id, headers={"subject": subject},
                          created_at=now)
    side.updated_at = now
    session.add_all([message, side])
    session.add(Outbox(ticket_id=ticket.id, kind="side", to_addr=", ".join(recipients), subject=subject,
                       mail_message_id=mail_id, raw=raw, created_at=now, next_attempt_at=now))
    session.flush()
    indexing.reindex(session, [ticket.id])
    return message


def _changed(session: Session, actor, ticket_id: int, what: str, *, reason: str | None = None,
             now: datetime | None = None) -> None:
    """An event on the ticket's timeline, and news for its followers; the ticket itself is untouched."""
    record(session, actor, "ticket", ticket_id, EVENT, None, what, reason=reason, at=now)
    session.flush()
    bus.publish(session, bus.DomainEvent(CHANGED, ticket_id, actor, changes={EVENT: (None, what)}))


# -- mail coming back ---------------------------------------------------------------

def find_thread(session: Session, parsed: ParsedMail) -> SideConversation | None:
    """The side conversation a mail answers: by In-Reply-To / References, else by a
    "[#12-S3]" subject tag naming a side conversation of that ticket."""
    from helpdesk.mail import side_tag

    ids = list(dict.fromkeys(parsed.in_reply_to + parsed.references[::-1]))[:_MAX_IDS]
    if ids:
        found = session.exec(select(SideMessage.side_id).where(SideMessage.mail_message_id.in_(ids))).first()
        if found is not None:
            return session.get(SideConversation, found)
    tagged = side_tag(parsed.subject)
    if tagged is None:
        return None
    side = session.get(SideConversation, tagged[1])
    return side if side is not None and side.ticket_id in _merged_chain(session, tagged[0]) else None


def _merged_chain(session: Session, ticket_id: int) -> set[int]:
    """The ticket and the tickets it was merged into (a merge moves side conversations along)."""
    chain, ticket = {ticket_id}, session.get(Ticket, ticket_id)
    while ticket is not None and ticket.merged_into_id and len(chain) < 20:
        chain.add(ticket.merged_into_id)
        ticket = session.get(Ticket, ticket.merged_into_id)
    return chain


def receive(session: Session, side: SideConversation, parsed: ParsedMail, *, now: datetime | None = None,
            root: Path | None = None) -> SideMessage:
    """File a third party's mail into its side conversation. Nothing reaches the customer and
    the ticket does not change: this is not a customer message."""
    from helpdesk.services.tickets.attachments import MAX_BYTES, store_blob

    now = now or utcnow()
    sender = parsed.from_addr or ""
    outsider = sender not in side.participants
    files = []
    for part in parsed.attachments:
        item = {"filename": part.filename, "content_type": part.content_type, "size": part.size, "path": None}
        if part.data is not None and not part.too_large and len(part.data) <= MAX_BYTES:
            item["sha256"], path = store_blob(part.data, root)
            item["path"] = str(path)
        files.append(item)
    text = (parsed.visible_text or parsed.body_text).strip() or ("(attachments only)" if files else "(no text)")
    if parsed.problems:
        text += "\n\n[mail problems: " + "; ".join(parsed.problems) + "]"
    headers = {"subject": parsed.subject, "to": [a for _n, a in parsed.to], "cc": [a for _n, a in parsed.cc],
               "in_reply_to": parsed.in_reply_to, "references": parsed.references[-20:],
               "outsider": outsider, "attachments": files}
    message = SideMessage(side_id=side.id, direction="in", author=sender, author_name=parsed.from_name or None,
                          body=text[:BODY_MAX], to=[], mail_message_id=parsed.message_id, headers=headers,
                          created_at=now)
    side.updated_at = now
    session.add_all([message, side])
    who = _sender_actor(session, sender, parsed.from_name)
    if side.state == "closed":
        side.state = "open"
        _changed(session, who, side.ticket_id, f"side conversation #{side.id} reopened by a reply", now=now)
    _changed(session, who, side.ticket_id, f"side conversation #{side.id}: reply from {sender}"
             + (" (not a participant)" if outsider else ""), now=now)
    indexing.reindex(session, [side.ticket_id])
    return message


def _sender_actor(session: Session, sender: str, name: str | None) -> Actor:
    """Who the timeline and followers name for an incoming side mail: the sender's address
    (never an agent's authority, even when an agent's address sent it)."""
    agent = session.exec(select(Agent).where(func.lower(Agent.email) == sender)).first()
    label = agent.name if agent is not None else (name or sender)
    return Actor(None, sender, label, "viewer")
