"""Inbound mail -> tickets: threading, follow-ups, bounces, duplicates and the rate limit.

Every message read leaves a MailReceipt (its Message-ID, sender and what was
done), which makes re-delivery harmless and feeds the per-sender rate limit.
"""

from __future__ import annotations

import mailbox
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from helpdesk.errors import HelpdeskError, Invalid
from helpdesk.mail import ParsedMail, parse_message, should_not_autoreply, ticket_tag
from helpdesk.models import Agent, MailReceipt, Message, Outbox, Ticket, utcnow
from helpdesk.services.core.actors import SYSTEM, actor_of
from helpdesk.services.customers import survey_replies
from helpdesk.services.mail import sides
from helpdesk.services.mail.templates import setting
from helpdesk.services.people import agents, contacts
from helpdesk.services.tickets import attachments
from helpdesk.services.tickets.conversation import (
    add_agent_message,
    add_customer_message,
)
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    create_ticket,
    get_ticket,
    link_tickets,
)

RATE_LIMIT = 20  # messages per sender per RATE_WINDOW; more is a runaway auto-responder
RATE_WINDOW = timedelta(hours=1)
INBOUND_KEY = "helpdesk.mail.inbound"  # session.info: the mail a ticket.created came from
_MAX_IDS = 50  # thread ids looked up per message


@dataclass
class IngestResult:
    ticket: int | None
    action: str  # created | appended | rated | ignored
    reason: str | None = None
    message_id: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def loop_marker(session: Session) -> str | None:
    """Our X-Loop value: the desk's own address."""
    sender = setting(session, "mail.from")
    return str(sender).strip().lower() if sender else None


def ingest(session: Session, raw: bytes, *, now: datetime | None = None,
           rate_limit: int = RATE_LIMIT, root: Path | None = None) -> IngestResult:
    """Read one message and file it; the caller's transaction holds all of it."""
    now = now or utcnow()
    parsed = parse_message(raw, max_attachment_bytes=attachments.MAX_BYTES, loop_marker=loop_marker(session))
    if parsed.message_id and _seen(session, parsed.message_id):
        return IngestResult(None, "ignored", "duplicate", parsed.message_id)
    receipt = _claim(session, parsed, now)
    if receipt is None:
        return IngestResult(None, "ignored", "duplicate", parsed.message_id)
    result = _file(session, parsed, now, rate_limit, root, receipt.id)
    result.message_id = parsed.message_id
    receipt.ticket_id, receipt.action, receipt.reason = result.ticket, result.action, result.reason
    session.flush()
    return result


def _claim(session: Session, parsed: ParsedMail, now: datetime) -> MailReceipt | None:
    """The message's receipt, written before anything is filed; None when another fetcher
    holds its Message-ID. Every app on a shared PostgreSQL desk fetches mail: a second
    reader of the same message waits here for the first one's commit, then finds the
    Message-ID taken (a unique index, migration 0014) and files nothing."""
    receipt = MailReceipt(mail_message_id=parsed.message_id, sender=parsed.from_addr, received_at=now,
                          action="filing")
    try:
        with session.begin_nested():
            session.add(receipt)
            session.flush()
    except IntegrityError:
        if not parsed.message_id:
            raise
        return None
    return receipt


def _file(session: Session, parsed: ParsedMail, now: datetime, rate_limit: int, root: Path | None,
          receipt_id: int) -> IngestResult:
    if parsed.bounce is not None:
        return _bounce(session, parsed)
    if not parsed.from_addr:
        return IngestResult(None, "ignored", "no sender address")
    if parsed.loop:
        return IngestResult(None, "ignored", "loop (our own X-Loop)")
    if _recent_count(session, parsed.from_addr, now, receipt_id) >= rate_limit:
        return IngestResult(None, "ignored", "rate limited")
    side = sides.find_thread(session, parsed)
    if side is not None:  # a third party's answer: into its side conversation, never the customer's
        sides.receive(session, side, parsed, now=now, root=root)
        return IngestResult(side.ticket_id, "appended", f"side conversation #{side.id}")
    rating = survey_replies.take_mail_rating(session, parsed.from_addr, parsed.visible_text or parsed.body_text,
                                             parsed.in_reply_to + parsed.references[::-1], now)
    if rating is not None:  # a reply to a survey mail that is only "1", "2", "满意", ...
        return IngestResult(*rating)
    ticket = _thread(session, parsed)
    if ticket is not None and ticket.status != "closed":
        message = _append(session, ticket, parsed)
        attachments.save_attachments(session, message.id, parsed.attachments, root=root)
        return IngestResult(ticket.id, "appended")
    follows = ticket.id if ticket is not None else None
    created = _create(session, parsed, now, follows)
    attachments.save_attachments(session, created[1].id, parsed.attachments, root=root)
    return IngestResult(created[0].id, "created", f"follow-up to closed #{follows}" if follows else None)


def _seen(session: Session, message_id: str) -> bool:
    return session.exec(select(MailReceipt.id).where(MailReceipt.mail_message_id == message_id)).first() is not None


def _recent_count(session: Session, sender: str, now: datetime, mine: int) -> int:
    """Mail taken from this sender within the hour, this message's own receipt not counted."""
    stmt = select(func.count()).select_from(MailReceipt).where(
        MailReceipt.sender == sender, MailReceipt.received_at > now - RATE_WINDOW, MailReceipt.id != mine)
    return session.exec(stmt).one()


# -- threading ----------------------------------------------------------------

def _thread(session: Session, parsed: ParsedMail) -> Ticket | None:
    """The ticket this mail continues: by a stored Message-ID first, else by a subject
    tag when the sender belongs to that ticket (a tag alone is easy to forge or copy)."""
    ids = list(dict.fromkeys(parsed.in_reply_to + parsed.references[::-1]))[:_MAX_IDS]
    ticket_id = _ticket_by_ids(session, ids) if ids else None
    if ticket_id is None:
        tagged = ticket_tag(parsed.subject)
        ticket = session.get(Ticket, tagged) if tagged else None
        if ticket is None or not _belongs(session, ticket, parsed.from_addr):
            return None
        ticket_id = ticket.id
    return _current(session, get_ticket(session, ticket_id))


def _ticket_by_ids(session: Session, ids: list[str]) -> int | None:
    for table in (Message, Outbox):
        found = session.exec(select(table.ticket_id).where(table.mail_message_id.in_(ids),
                                                           table.ticket_id.is_not(None))).first()
        if found is not None:
            return found
    return None


def _current(session: Session, ticket: Ticket) -> Ticket:
    """Follow merges to the ticket that holds the conversation now."""
    hops = 0
    while ticket.merged_into_id and hops < 20:
        ticket, hops = get_ticket(session, ticket.merged_into_id), hops + 1
    return ticket


def _belongs(session: Session, ticket: Ticket, sender: str) -> bool:
    """The requester, an agent, or a contact who wrote on or was CC'd on the ticket."""
    if agents.find_agent(session, sender) is not None:
        return True
    contact = contacts.find_contact(session, sender)
    if contact is not None and contact.id == ticket.requester_id:
        return True
    rows = session.exec(select(Message.author_contact_id, Message.headers).where(Message.ticket_id == ticket.id)).all()
    return any((contact is not None and author == contact.id) or sender in (headers or {}).get("cc", [])
               for author, headers in rows)


# -- filing ---------------------------------------------------------------------

def _headers(parsed: ParsedMail) -> dict:
    return {
        "from": parsed.from_addr, "from_name": parsed.from_name, "subject": parsed.subject,
        "to": [a for _n, a in parsed.to], "cc": [a for _n, a in parsed.cc], "reply_to": parsed.reply_address,
        "in_reply_to": parsed.in_reply_to, "references": parsed.references[-20:],
        "no_autoreply": should_not_autoreply(parsed), "problems": parsed.problems,
    }


def _body(parsed: ParsedMail, text: str) -> str:
    body = text.strip() or ("(attachments only)" if parsed.attachments else "(no text)")
    if parsed.problems:
        body += "\n\n[mail problems: " + "; ".join(parsed.problems) + "]"
    return body


def _append(session: Session, ticket: Ticket, parsed: ParsedMail) -> Message:
    body = _body(parsed, parsed.visible_text or parsed.body_text)
    agent = session.exec(select(Agent).where(func.lower(Agent.email) == parsed.from_addr, Agent.active)).first()
    if agent is not None and agent.role != "viewer":
        # an agent answering by mail: a public reply, mailed on to the customer
        message = add_agent_message(session, actor_of(agent), ticket.id, body, channel="email")
        message.mail_message_id, message.headers = parsed.message_id, _headers(parsed)
        session.add(message)
        return message
    contact = contacts.requester_for(session, SYSTEM, parsed.from_addr, parsed.from_name or None)
    return add_customer_message(session, SYSTEM, ticket.id, contact, body, channel="email",
                                headers=_headers(parsed), mail_message_id=parsed.message_id)


def _create(session: Session, parsed: ParsedMail, now: datetime, follows: int | None) -> tuple[Ticket, Message]:
    subject = " ".join(parsed.subject.split()) or "(no subject)"
    new = NewTicket(subject=subject[:500], body=_body(parsed, parsed.body_text), requester=parsed.from_addr,
                    requester_name=parsed.from_name or None, channel="email", created_at=now)
    session.info[INBOUND_KEY] = _headers(parsed) | {"message_id": parsed.message_id}
    try:
        ticket = create_ticket(session, SYSTEM, new)
    finally:
        session.info.pop(INBOUND_KEY, None)
    message = session.exec(select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)).first()
    message.mail_message_id, message.headers = parsed.message_id, _headers(parsed)
    session.add(message)
    if follows is not None:
        link_tickets(session, SYSTEM, ticket.id, follows)
    session.flush()
    return ticket, message


def _bounce(session: Session, parsed: ParsedMail) -> IngestResult:
    """A delivery report becomes a note on the ticket whose mail bounced, never a ticket."""
    original = parsed.bounce.original_message_id
    row = session.exec(select(Outbox).where(Outbox.mail_message_id == original)).first() if original else None
    if row is None or row.ticket_id is None:
        return IngestResult(None, "ignored", "bounce of mail we did not send")
    ticket = _current(session, get_ticket(session, row.ticket_id))
    if ticket.status == "closed":
        return IngestResult(ticket.id, "ignored", "bounce on a closed ticket")
    b = parsed.bounce
    lines = [f"Mail to {b.recipient or row.to_addr} bounced ({b.status or 'no status'}): {row.subject}"]
    if b.diagnostic:
        lines.append(b.diagnostic)
    add_agent_message(session, SYSTEM, ticket.id, "\n".join(lines), kind="note", channel="email")
    return IngestResult(ticket.id, "appended", "bounce")


# -- sources and batches ----------------------------------------------------------

def messages_in(source: str, stdin=None) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for a message file, "-" (stdin), a Maildir (cur/ and new/) or an mbox."""
    if source == "-":
        yield "stdin", _read_all(stdin or sys.stdin)
        return
    path = Path(source)
    if path.is_dir():
        if not (path / "cur").is_dir() and not (path / "new").is_dir():
            raise Invalid(f"{source}: a directory must be a Maildir (with cur/ and new/)", field="source")
        box = mailbox.Maildir(path, factory=None, create=False)
        for key in sorted(box.keys()):
            yield f"{source}:{key}", box.get_bytes(key)
    elif not path.is_file():
        raise Invalid(f"{source}: no such file or directory", field="source")
    elif _is_mbox(path):
        box = mailbox.mbox(path, factory=None, create=False)
        for key in box.keys():
            yield f"{source}:{key}", box.get_bytes(key)
    else:
        yield source, path.read_bytes()


def _read_all(stream) -> bytes:
    """Raw bytes of a stream; a text stream (as tests substitute) is taken as UTF-8."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        return binary.read()
    data = stream.read()
    return data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape")


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(5) == b"From "


def ingest_all(desk, raws: Iterable[bytes], *, chunk: int = 200, now: datetime | None = None,
               root: Path | None = None) -> list[IngestResult]:
    """Ingest many messages, `chunk` per transaction; each in a savepoint, so one
    broken message is reported ("ignored", reason) without losing its neighbours."""
    results: list[IngestResult] = []
    batch: list[bytes] = []
    for raw in raws:
        batch.append(raw)
        if len(batch) >= chunk:
            results += desk.write(lambda s, b=tuple(batch): _ingest_batch(s, b, now, root))
            batch.clear()
    if batch:
        results += desk.write(lambda s, b=tuple(batch): _ingest_batch(s, b, now, root))
    return results


def _ingest_batch(session: Session, raws: tuple[bytes, ...], now: datetime | None, root: Path | None) -> list[IngestResult]:
    from helpdesk.services.sla.tracking import one_recompute
    from helpdesk.services.tickets.indexing import deferred

    results = []
    # Clocks and search documents once per batch, not per message.
    with one_recompute(session, now=now or utcnow(), reason="mail"), deferred(session):
        for raw in raws:
            try:
                with session.begin_nested():
                    results.append(ingest(session, raw, now=now, root=root))
            except HelpdeskError as exc:
                results.append(IngestResult(None, "ignored", f"rejected: {exc.message}"))
    return results
