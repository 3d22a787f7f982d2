"""Satisfaction surveys and ratings.

When a ticket is solved a survey is queued (`survey.enabled`, default on; `survey.delay`,
default 24h); the worker mails it once (survey_mail.py) with a signed link. The customer
rates good or bad (optional comment, optional NPS 0-10) on the portal, by replying to the
survey mail (survey_replies.py), or an agent takes the rating by phone (`ticket rate`).
One rating per ticket: the latest wins while the ticket is not closed and its last
solve is at most 28 days old. The rating is credited to the ticket's assignee at the time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlmodel import Session

from helpdesk.errors import Conflict, Invalid
from helpdesk.models import Rating, Survey, Ticket, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.core.settings import get_setting

RATINGS = ("good", "bad")
SOURCES = ("portal", "mail", "agent")
RATABLE_FOR = timedelta(days=28)
DEFAULT_DELAY = timedelta(hours=24)
COMMENT_MAX = 2000
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$", re.I)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def enabled(session: Session) -> bool:
    value = get_setting(session, "survey.enabled")
    return str(value).strip().lower() not in ("false", "no", "off", "0") if value is not None else True


def delay(session: Session) -> timedelta:
    """`survey.delay`: seconds, or a number with s/m/h/d (24h, 2d); default 24h."""
    value = get_setting(session, "survey.delay")
    match = _DURATION.match(str(value)) if value not in (None, "") else None
    if match is None:
        return DEFAULT_DELAY
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


@bus.subscribe("ticket.updated")
def queue_survey(session: Session, event: bus.DomainEvent) -> None:
    """A ticket just solved gets a survey, due after the delay; a survey already mailed is not mailed again."""
    status = event.changes.get("status")
    if not status or status[1] != "solved" or status[0] == "solved" or not enabled(session):
        return
    due = utcnow() + delay(session)
    row = session.get(Survey, event.ticket_id)
    if row is not None and row.status == "sent":
        return
    if row is None:
        row = Survey(ticket_id=event.ticket_id, status="queued", due_at=due)
    else:
        row.status, row.due_at, row.reason = "queued", due, None
    session.add(row)


# -- ratings ------------------------------------------------------------------------------

def clean_rating(value: str) -> str:
    v = (value or "").strip().lower()
    if v not in RATINGS:
        raise Invalid(f"{value!r} is not a rating (use good or bad)", field="rating")
    return v


def clean_nps(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit() or not 0 <= int(text) <= 10:
        raise Invalid(f"{value!r} is not a score from 0 to 10", field="nps")
    return int(text)


def clean_comment(value: str | None) -> str | None:
    text = (value or "").replace("\x00", "").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(f"is longer than {COMMENT_MAX} characters", field="comment")
    return text or None


def ratable(ticket: Ticket, now: datetime) -> str | None:
    """Why the ticket cannot be rated now, or None when it can."""
    if ticket.status == "closed":
        return f"ticket #{ticket.id} is closed; its rating is final"
    if ticket.solved_at is None:
        return f"ticket #{ticket.id} has not been solved yet; there is nothing to rate"
    if now - ticket.solved_at > RATABLE_FOR:
        return f"ticket #{ticket.id} was solved more than 28 days ago; it can no longer be rated"
    return None


def rate(session: Session, actor: Actor, ticket_id: int, rating: str, *, comment: str | None = None,
         nps=None, source: str = "portal", now: datetime | None = None) -> Rating:
    """Record (or replace) the ticket's rating. `source="agent"`: taken by `actor` by phone."""
    from helpdesk.services.tickets.lifecycle import get_ticket

    require(actor, "agent")
    if source not in SOURCES:
        raise Invalid(f"unknown rating source {source!r}", field="source")
    now = now or utcnow()
    value, nps, comment = clean_rating(rating), clean_nps(nps), clean_comment(comment)
    ticket = get_ticket(session, ticket_id)
    why = ratable(ticket, now)
    if why:
        raise Conflict(why)
    row = session.get(Rating, ticket.id)
    old = _summary(row) if row is not None else None
    if row is None:
        row = Rating(ticket_id=ticket.id, rating=value, rated_at=now)
    row.rating, row.comment, row.nps, row.source, row.rated_at = value, comment, nps, source, now
    row.agent_id, row.contact_id = ticket.assignee_id, ticket.requester_id
    row.taken_by_id = actor.agent_id if source == "agent" else None
    session.add(row)
    record(session, actor, "ticket", ticket.id, "rating", old, _summary(row), reason=f"rated by {source}", at=now)
    session.flush()
    bus.publish(session, bus.DomainEvent("ticket.rated", ticket.id, actor, data={"rating": value, "source": source}))
    return row


def _summary(row: Rating) -> str:
    text = row.rating + (f" nps {row.nps}" if row.nps is not None else "")
    return text + (f": {row.comment}" if row.comment else "")


def rating_of(session: Session, ticket_id: int) -> Rating | None:
    return session.get(Rating, ticket_id)


def rating_dict(row: Rating | None) -> dict | None:
    if row is None:
        return None
    return {"rating": row.rating, "comment": row.comment, "nps": row.nps, "source": row.source,
            "agent_id": row.agent_id, "taken_by_id": row.taken_by_id, "rated_at": row.rated_at.isoformat()}


@dataclass
class Satisfaction:
    rated: int
    good: int
    csat: float | None  # good / rated, None with no ratings

    def to_dict(self) -> dict:
        return {"rated": self.rated, "good": self.good, "csat": self.csat}


def satisfaction_of_contact(session: Session, contact_id: int) -> dict:
    """{rated, good, csat} over the contact's tickets (the contact's 360° view)."""
    rated, good = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Rating.rating == "good", 1), else_=0)), 0))
        .select_from(Rating).join(Ticket, Ticket.id == Rating.ticket_id).where(Ticket.requester_id == contact_id)
    ).one()
    return Satisfaction(rated, good, round(good / rated, 4) if rated else None).to_dict()
