"""Signed portal links: `/t/{token}` (a ticket's status page) and `/survey/{token}`.

A token is `PURPOSE.TICKET.GENERATION.EXPIRES.SIGNATURE`: an HMAC-SHA256 over the
rest, keyed with a secret made once per desk and kept in the database. A link opens
only while its signature is right, it has not expired and its generation is the
ticket's current one (`helpdesk portal revoke N` bumps it). Anything else, including a
link of one ticket used on another, is simply "no such page": callers answer 404 for
every failure alike, so nothing tells an attacker which part was wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import PortalLink, Setting, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.core.settings import get_setting

KEY_SETTING = "portal.signing_key"  # written here only; never through `config set`
PURPOSES = ("t", "s")  # ticket status page, survey
DEFAULT_DAYS = {"t": 30, "s": 28}
DAYS_SETTING = {"t": "portal.link_days", "s": "survey.link_days"}
_SIG_BYTES = 16


def ensure_key(session: Session) -> bytes:
    """The desk's signing key, made on first use (a write: call it from a write transaction)."""
    row = session.get(Setting, KEY_SETTING)
    if row is None or not row.value:
        row = Setting(key=KEY_SETTING, value=secrets.token_urlsafe(32), updated_at=utcnow())
        session.add(row)
        session.flush()
    return str(row.value).encode()


def stored_key(session: Session) -> bytes | None:
    """The signing key if one was made (reads never create it)."""
    value = get_setting(session, KEY_SETTING)
    return str(value).encode() if value else None


_GENERATION = select(PortalLink.generation).where(PortalLink.ticket_id == bindparam("ticket_id"))


def generation(session: Session, ticket_id: int) -> int:
    return session.connection().execute(_GENERATION, {"ticket_id": ticket_id}).scalar() or 0


def link_days(session: Session, purpose: str) -> int:
    raw = get_setting(session, DAYS_SETTING[purpose])
    try:
        days = int(str(raw).strip()) if raw not in (None, "") else DEFAULT_DAYS[purpose]
    except ValueError:
        days = DEFAULT_DAYS[purpose]
    return max(1, min(days, 3650))


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:_SIG_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(key: bytes, purpose: str, ticket_id: int, gen: int, expires: datetime) -> str:
    body = f"{purpose}.{ticket_id}.{gen}.{int(expires.timestamp())}"
    return f"{body}.{_signature(key, body)}"


def make_token(session: Session, ticket_id: int, purpose: str = "t", *, now: datetime | None = None) -> str:
    """A fresh link token for a ticket (makes the desk's key if needed: call inside a write)."""
    if purpose not in PURPOSES:
        raise Invalid(f"unknown link purpose {purpose!r}", field="purpose")
    now = now or utcnow()
    expires = now + timedelta(days=link_days(session, purpose))
    return sign(ensure_key(session), purpose, ticket_id, generation(session, ticket_id), expires)


def parse(key: bytes, token: str, purpose: str, now: datetime) -> tuple[int, int] | None:
    """(ticket id, generation) of a well-signed, unexpired token of this purpose, else None."""
    if not token or len(token) > 120:
        return None
    parts = token.split(".")
    if len(parts) != 5:
        return None
    kind, ticket, gen, expires, signature = parts
    body = f"{kind}.{ticket}.{gen}.{expires}"
    if not hmac.compare_digest(_signature(key, body), signature):
        return None
    if kind != purpose or not (ticket.isdigit() and gen.isdigit() and expires.isdigit()):
        return None
    if int(expires) < now.timestamp():
        return None
    return int(ticket), int(gen)


def open_token(session: Session, token: str, purpose: str = "t", *, now: datetime | None = None,
               key: bytes | None = None) -> int | None:
    """The ticket a link opens, or None (bad signature, other purpose, expired, revoked)."""
    key = key or stored_key(session)
    if key is None:
        return None
    found = parse(key, token, purpose, now or utcnow())
    if found is None:
        return None
    ticket_id, gen = found
    return ticket_id if gen == generation(session, ticket_id) else None


def revoke(session: Session, actor: Actor, ticket_id: int) -> int:
    """Every portal and survey link of the ticket given so far stops opening; returns the new generation."""
    from helpdesk.services.tickets.lifecycle import get_ticket

    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    row = session.get(PortalLink, ticket.id) or PortalLink(ticket_id=ticket.id, generation=0)
    old = row.generation
    row.generation, row.revoked_at = old + 1, utcnow()
    session.add(row)
    record(session, actor, "ticket", ticket.id, "portal_links", f"generation {old}", f"generation {old + 1}",
           reason="portal links revoked")
    session.flush()
    return row.generation


def agent_link(session: Session, actor: Actor, ticket_id: int, base_url: str | None = None) -> str:
    """`helpdesk portal link N`: a link for an agent to send to the requester."""
    from helpdesk.services.tickets.lifecycle import get_ticket

    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    return portal_url(session, base_url) + "/t/" + make_token(session, ticket.id)


def portal_url(session: Session, base_url: str | None = None) -> str:
    """Where the portal is reached from outside (`portal.url`), without a trailing slash."""
    url = base_url or get_setting(session, "portal.url") or "http://127.0.0.1:8080"
    return str(url).rstrip("/")
