"""A reply to a survey mail that is only a rating (1/2, 满意/不满意, good/bad) records it.

Any other reply, or one that does not answer a survey mail, is left to mail intake as a
normal customer message."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.models import Contact, Outbox, Ticket, utcnow
from helpdesk.services.core.actors import Actor

MAIL = Actor(None, "mail", "Mail", "agent")  # ratings by mail are recorded as this
ANSWERS = {"1": "good", "2": "bad", "满意": "good", "不满意": "bad", "good": "good", "bad": "bad"}
_TRIM = re.compile(r"^[\s\"'“”]+|[\s.!。！\"'“”]+$")


def answer_of(text: str | None) -> str | None:
    """good/bad when the text is only a rating word, else None."""
    word = _TRIM.sub("", (text or "").strip()).lower()
    return ANSWERS.get(word)


def survey_answered(session: Session, thread_ids: list[str]) -> int | None:
    """The ticket whose survey mail these Message-IDs (In-Reply-To, References) answer."""
    if not thread_ids:
        return None
    return session.execute(select(Outbox.ticket_id).where(
        Outbox.mail_message_id.in_(thread_ids[:50]), Outbox.kind == "survey", Outbox.ticket_id.is_not(None))).scalar()


def take_mail_rating(session: Session, sender: str, text: str | None, thread_ids: list[str],
                     now: datetime | None = None) -> tuple[int, str, str | None] | None:
    """(ticket, action, reason) when this mail is a rating reply from the requester: "rated",
    or "ignored" when the ticket can no longer be rated; None for anything else."""
    from helpdesk.services.customers.surveys import rate, ratable

    answer = answer_of(text)
    if answer is None:
        return None
    ticket_id = survey_answered(session, thread_ids)
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    contact = session.get(Contact, ticket.requester_id) if ticket is not None and ticket.requester_id else None
    if contact is None or (contact.email or "").lower() != (sender or "").lower():
        return None
    now = now or utcnow()
    why = ratable(ticket, now)
    if why:
        return ticket.id, "ignored", why
    rate(session, MAIL, ticket.id, answer, source="mail", now=now)
    return ticket.id, "rated", None
