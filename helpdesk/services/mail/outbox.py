"""Outgoing mail: queued by bus subscribers, sent over SMTP by `mail send` and the worker.

Queueing happens in the transaction of the change that caused it, so a reply
and its mail commit together; sending happens later, outside any transaction,
with retries and back-off, so nothing is lost while the server is down.
Nothing is queued until `mail.from` is set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, select

from helpdesk.errors import Invalid
from helpdesk.models import Contact, Message, Outbox, Ticket, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.settings import get_setting
from helpdesk.services.mail import templates as mail_templates
from helpdesk.services.mail.templates import setting

if TYPE_CHECKING:
    import smtplib  # imported where mail is sent: most commands never send any

MAX_ATTEMPTS = 8  # then "failed": about four hours of trying with the back-off below
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=2)
TIMEOUT = 30  # seconds for any one SMTP conversation step


# -- queueing ---------------------------------------------------------------------

@dataclass
class Draft:
    kind: str  # ack | reply | solved
    to_addr: str
    to_name: str
    values: dict
    auto: bool
    message_id: int | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)


def queue(session: Session, ticket: Ticket, draft: Draft, now: datetime | None = None) -> Outbox | None:
    """Compose and queue one mail; None when mail is not set up (no mail.from)."""
    from_addr = setting(session, "mail.from")
    if not from_addr or not draft.to_addr:
        return None
    # Mail modules load only when mail is really queued: a plain `ticket create` stays fast.
    from helpdesk.mail import build_message, tag_subject
    from helpdesk.services.mail.intake import loop_marker

    now = now or utcnow()
    desk_name = str(setting(session, "desk.name") or "Helpdesk")
    values = {"ticket": ticket.id, "name": draft.to_name or draft.to_addr, "desk": desk_name} | draft.values
    subject, body = mail_templates.render(session, draft.kind, values)
    raw, mail_id = build_message(
        from_addr=str(from_addr), from_name=desk_name, to_addr=draft.to_addr, to_name=draft.to_name,
        subject=tag_subject(subject, ticket.id), body=body, message_id_domain=str(from_addr).rpartition("@")[2],
        in_reply_to=draft.in_reply_to, references=draft.references, auto_submitted=draft.auto,
        loop_marker=loop_marker(session), date=now)
    row = Outbox(ticket_id=ticket.id, message_id=draft.message_id, kind=draft.kind, to_addr=draft.to_addr,
                 subject=tag_subject(subject, ticket.id), mail_message_id=mail_id, raw=raw, created_at=now,
                 next_attempt_at=now)
    session.add(row)
    session.flush()
    return row


def _requester(session: Session, ticket: Ticket) -> Contact | None:
    contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    return contact if contact is not None and contact.email else None


def _last_customer_mail(session: Session, ticket_id: int) -> Message | None:
    stmt = (select(Message).where(Message.ticket_id == ticket_id, Message.author_contact_id.is_not(None),
                                  Message.mail_message_id.is_not(None)).order_by(Message.id.desc()))
    return session.exec(stmt).first()


def _threaded(session: Session, ticket: Ticket, contact: Contact, kind: str, values: dict, auto: bool,
              message_id: int | None = None) -> Draft | None:
    """A draft answering the customer's last mail (In-Reply-To/References), or None
    for automatic mail when that mail must not be answered automatically."""
    last = _last_customer_mail(session, ticket.id)
    headers = (last.headers or {}) if last else {}
    if auto and headers.get("no_autoreply"):
        return None
    return Draft(kind, headers.get("reply_to") or contact.email, contact.name, values, auto, message_id,
                 last.mail_message_id if last else None, list(headers.get("references") or []))


@bus.subscribe("ticket.created")
def acknowledge(session: Session, event: bus.DomainEvent) -> None:
    """New email tickets get an acknowledgement carrying [#N], unless the mail forbids it."""
    ticket = session.get(Ticket, event.ticket_id)
    contact = _requester(session, ticket) if ticket is not None and ticket.channel == "email" else None
    if contact is None:
        return
    from helpdesk.services.mail.intake import (
        INBOUND_KEY,  # mail modules load only for email tickets
    )

    inbound = session.info.get(INBOUND_KEY) or {}
    if contact is None or inbound.get("no_autoreply"):
        return
    draft = Draft("ack", inbound.get("reply_to") or contact.email, contact.name, {"subject": ticket.subject}, True,
                  in_reply_to=inbound.get("message_id"), references=list(inbound.get("references") or []))
    queue(session, ticket, draft)


@bus.subscribe("message.added")
def mail_reply(session: Session, event: bus.DomainEvent) -> None:
    """Every public agent reply goes to the requester; notes never do."""
    if event.data.get("kind") != "reply" or event.data.get("by") != "agent":
        return
    ticket = session.get(Ticket, event.ticket_id)
    contact = _requester(session, ticket) if ticket is not None else None
    message = session.get(Message, event.data.get("message_id"))
    if contact is None or message is None:
        return
    values = {"subject": f"Re: {ticket.subject}", "body": message.body}
    queue(session, ticket, _threaded(session, ticket, contact, "reply", values, False, message.id))


@bus.subscribe("ticket.updated")
def solved_notice(session: Session, event: bus.DomainEvent) -> None:
    status = event.changes.get("status")
    if not status or status[1] != "solved" or status[0] == "solved":
        return
    ticket = session.get(Ticket, event.ticket_id)
    contact = _requester(session, ticket) if ticket is not None else None
    if contact is None:
        return
    draft = _threaded(session, ticket, contact, "solved", {"subject": f"Re: {ticket.subject}"}, True)
    if draft is not None:
        queue(session, ticket, draft)


# -- sending ----------------------------------------------------------------------

@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def password_for(kind: str, user: str | None, host: str | None) -> str | None:
    """HELPDESK_<KIND>_PASSWORD, else the system keyring (service "helpdesk", "<kind>:user@host")."""
    value = os.environ.get(f"HELPDESK_{kind.upper()}_PASSWORD")
    if value or not user:
        return value
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password("helpdesk", f"{kind}:{user}@{host}")
    except Exception:  # no usable keyring backend: same as no password stored
        return None


def open_smtp(url: str) -> smtplib.SMTP:
    """smtps://host:465 (TLS), smtp://host:587 (STARTTLS when offered), smtp+starttls:// (required);
    user@ in the URL logs in with the password from the environment or keyring."""
    import smtplib
    import ssl
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise Invalid(f"{url!r} is not an SMTP URL (smtp://host:587 or smtps://host:465)", field="mail.smtp_url")
    host = parts.hostname
    if scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=TIMEOUT, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=TIMEOUT)
        client.ehlo()
        if scheme == "smtp+starttls" or client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
    user = unquote(parts.username) if parts.username else None
    if user:
        password = password_for("smtp", user, host)
        if password is None:
            client.close()
            raise Invalid(f"no SMTP password for {user}: set HELPDESK_SMTP_PASSWORD or the keyring", field="mail.smtp_url")
        client.login(user, password)
    return client


def due(session: Session, now: datetime, limit: int = 100) -> list[Outbox]:
    stmt = (select(Outbox).where(Outbox.status == "queued", Outbox.next_attempt_at <= now)
            .order_by(Outbox.next_attempt_at, Outbox.id).limit(limit))
    return list(session.exec(stmt))


def send_due(desk, *, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send what is due. Each outcome is written in its own short transaction, never while
    talking to the server, so a slow relay does not hold the database."""
    import smtplib  # loaded only when mail is sent

    now = now or utcnow()
    with desk.read() as s:
        rows = due(s, now, limit)
        url, sender = get_setting(s, "mail.smtp_url"), get_setting(s, "mail.from")
    report = SendReport()
    if not rows:
        return report
    if not url or not sender:
        raise Invalid("mail is not set up: set mail.smtp_url and mail.from (helpdesk config set ...)", field="mail.smtp_url")
    try:
        client = open_smtp(str(url))
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _record(desk, report, row.id, now, _describe(exc), permanent=False)
        return report
    try:
        for row in rows:
            _send_one(desk, client, report, row, str(sender), now)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return report


def _send_one(desk, client: smtplib.SMTP, report: SendReport, row: Outbox, sender: str, now: datetime) -> None:
    import smtplib
    try:
        # to_addr holds several addresses ("a@x, b@y") for a side conversation with several people
        client.sendmail(sender, [a.strip() for a in row.to_addr.split(",") if a.strip()], row.raw)
    except smtplib.SMTPRecipientsRefused as exc:
        code = min(c for c, _m in exc.recipients.values())
        _record(desk, report, row.id, now, _describe(exc), permanent=code >= 500)
    except smtplib.SMTPResponseException as exc:
        _record(desk, report, row.id, now, _describe(exc), permanent=exc.smtp_code >= 500)
    except (OSError, smtplib.SMTPException) as exc:
        _record(desk, report, row.id, now, _describe(exc), permanent=False)
    else:
        _record(desk, report, row.id, now, None, permanent=False)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed attempt, at most MAX_DELAY."""
    return min(FIRST_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


def _record(desk, report: SendReport, row_id: int, now: datetime, error: str | None, *, permanent: bool) -> None:
    def write(session: Session) -> None:
        row = session.get(Outbox, row_id)
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
        elif permanent or row.attempts >= MAX_ATTEMPTS:
            row.status, row.last_error, row.next_attempt_at = "failed", error, None
        else:
            row.last_error, row.next_attempt_at = error, now + backoff(row.attempts)
        session.add(row)
        return row.status

    status = desk.write(write)
    if error is None:
        report.sent += 1
        return
    report.errors.append(f"outbox #{row_id}: {error}")
    if status == "failed":
        report.failed += 1
    else:
        report.retrying += 1


def list_outbox(session: Session, status: str | None = None, limit: int = 100) -> list[Outbox]:
    stmt = select(Outbox)
    if status:
        stmt = stmt.where(Outbox.status == status)
    return list(session.exec(stmt.order_by(Outbox.id.desc()).limit(limit)))


def send_job(desk) -> dict:
    """The worker's job: send what is due when mail.smtp_url and mail.from are set, else nothing."""
    with desk.read() as s:
        configured = get_setting(s, "mail.smtp_url") and get_setting(s, "mail.from")
    if not configured:
        return {"skipped": "mail.smtp_url or mail.from is not set"}
    report = send_due(desk)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
