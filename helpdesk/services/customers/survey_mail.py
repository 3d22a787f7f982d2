"""The worker's survey job: mail each due survey once, with signed good/bad links.

"Once" is decided in the database: a survey moves from queued to sent with a
conditional UPDATE, so two workers running at the same moment mail it once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from helpdesk.models import Contact, Survey, Ticket, utcnow
from helpdesk.services.core.settings import get_setting
from helpdesk.services.customers.portal_links import make_token, portal_url

BATCH = 200


def send_due_surveys(session: Session, *, now: datetime | None = None, base_url: str | None = None,
                     limit: int = BATCH) -> dict:
    """Queue the mail of every survey that is due; closed tickets' surveys are skipped."""
    from helpdesk.services.mail.outbox import Draft, queue

    now = now or utcnow()
    rows = session.execute(
        select(Survey.ticket_id, Ticket.status).join(Ticket, Ticket.id == Survey.ticket_id)
        .where(Survey.status == "queued", Survey.due_at <= now, Ticket.status.in_(("solved", "closed")))
        .order_by(Survey.due_at).limit(limit)
    ).all()
    sent = skipped = 0
    for ticket_id, status in rows:
        if status == "closed":
            skipped += _mark(session, ticket_id, "skipped", now, "closed before the survey was due")
            continue
        ticket = session.get(Ticket, ticket_id)
        contact = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
        if contact is None or not contact.email:
            skipped += _mark(session, ticket_id, "skipped", now, "the requester has no email address")
            continue
        if not _mark(session, ticket_id, "sent", now):
            continue  # another worker took it
        link = portal_url(session, base_url) + "/survey/" + make_token(session, ticket.id, "s", now=now)
        values = {"subject": ticket.subject, "good": link + "?r=good", "bad": link + "?r=bad", "link": link}
        queue(session, ticket, Draft("survey", contact.email, contact.name, values, True), now=now)
        sent += 1
    return {"sent": sent, "skipped": skipped}


def _mark(session: Session, ticket_id: int, status: str, now: datetime, reason: str | None = None) -> int:
    result = session.execute(update(Survey).where(Survey.ticket_id == ticket_id, Survey.status == "queued")
                             .values(status=status, sent_at=now if status == "sent" else None, reason=reason))
    return result.rowcount or 0


def survey_job(desk) -> dict:
    """Worker job: nothing until mail is set up (mail.from); then every due survey, in batches."""
    with desk.read() as s:
        if not get_setting(s, "mail.from"):
            return {"skipped": "mail.from is not set"}
    totals = {"sent": 0, "skipped": 0}
    for _ in range(100):
        result = desk.write(lambda s: send_due_surveys(s))
        totals = {k: totals[k] + result[k] for k in totals}
        if result["sent"] + result["skipped"] < BATCH:
            break
    return totals
