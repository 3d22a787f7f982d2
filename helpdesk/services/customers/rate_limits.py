"""Rate limits of the portal, kept in the database so every portal process shares them.

`allow(session, key, limit, window)` counts the requests of `key` in the last
`window`; under the limit it records this one and says yes. Keys name what is
limited: `track-ip:ADDRESS`, `track-ticket:NUMBER`, `request-ip:ADDRESS`, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlmodel import Session

from helpdesk.models import PortalHit, utcnow


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: timedelta


TRACK_TICKET = Limit("track-ticket", 5, timedelta(minutes=10))  # the 6th lookup of one number is refused
TRACK_IP = Limit("track-ip", 20, timedelta(minutes=10))
REQUEST_IP = Limit("request-ip", 10, timedelta(hours=1))
REPLY_TICKET = Limit("reply-ticket", 20, timedelta(hours=1))
SURVEY_TICKET = Limit("survey-ticket", 10, timedelta(hours=1))
KB_FEEDBACK_IP = Limit("kb-feedback-ip", 30, timedelta(hours=1))  # "was this helpful?" answers
KEEP = timedelta(days=1)  # hits older than this are deleted as new ones come


def used(session: Session, limit: Limit, subject: str, now: datetime) -> int:
    key = f"{limit.name}:{subject}"[:200]
    stmt = select(func.count()).select_from(PortalHit).where(PortalHit.key == key, PortalHit.at > now - limit.window)
    return session.execute(stmt).scalar_one()


def allow(session: Session, limit: Limit, subject: str, now: datetime | None = None) -> bool:
    """True (and this request counted) while `subject` is under `limit`; False once it is reached."""
    now = now or utcnow()
    if used(session, limit, subject, now) >= limit.count:
        return False
    key = f"{limit.name}:{subject}"[:200]
    session.execute(delete(PortalHit).where(PortalHit.key == key, PortalHit.at < now - max(limit.window, KEEP)))
    session.add(PortalHit(key=key, at=now))
    session.flush()
    return True


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget hits older than a day (the worker's housekeeping)."""
    now = now or utcnow()
    return session.execute(delete(PortalHit).where(PortalHit.at < now - KEEP)).rowcount or 0
