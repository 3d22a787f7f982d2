"""The customer in 360°: a contact's (or an organization's) organization and tier, open and
solved counts, latest tickets, assets and the agents' notes about them.

`contact show` / `org show` and the app's requester panel read these dicts; a contact's
`satisfaction{rated, good, csat}` comes from the surveys' ratings."""

from __future__ import annotations

from sqlalchemy import case, func, or_, select
from sqlmodel import Session

from helpdesk.errors import NotFound
from helpdesk.models import Asset, Contact, Organization, Ticket
from helpdesk.services.core.actors import Actor
from helpdesk.services.customers.assets import asset_dicts, assets_of_tickets, today
from helpdesk.services.customers.notes import notes_about
from helpdesk.services.customers.surveys import satisfaction_of_contact
from helpdesk.services.people.contacts import get_contact
from helpdesk.services.tickets.listing import iso

LATEST = 10  # tickets shown
ASSETS_MAX = 200
CONTACTS_MAX = 200
OPEN = ("new", "open", "pending", "on_hold")
SOLVED = ("solved", "closed")


def contact_history(session: Session, actor: Actor, email: str, *, latest: int = LATEST) -> dict:
    """`contact show EMAIL --json`."""
    return contact_360(session, get_contact(session, email), latest=latest)


def contact_360(session: Session, c: Contact, *, latest: int = LATEST) -> dict:
    org = session.get(Organization, c.organization_id) if c.organization_id else None
    day = today(session)
    counts = _counts(session, Ticket.requester_id == c.id)
    tickets = _latest(session, Ticket.requester_id == c.id, latest, day)
    assets = session.execute(select(Asset).where(Asset.contact_id == c.id).order_by(Asset.serial_key)
                             .limit(ASSETS_MAX)).scalars().all()
    return {
        "email": c.email, "name": c.name, "phone": c.phone,
        "organization": {"name": org.name, "tier": org.tier} if org else None,
        "tier": c.tier or (org.tier if org else None),
        **counts,
        "tickets": tickets,
        "assets": asset_dicts(session, list(assets), day),
        "satisfaction": satisfaction_of_contact(session, c.id),
        "notes": notes_about(session, contact_id=c.id),
    }


def get_org(session: Session, name: str) -> Organization:
    key = " ".join((name or "").split()).lower()
    org = session.execute(select(Organization).where(func.lower(Organization.name) == key)).scalars().first()
    if org is None:
        raise NotFound(f"no organization {name!r}; see `helpdesk contact list`")
    return org


def org_history(session: Session, actor: Actor, name: str, *, latest: int = LATEST) -> dict:
    """`org show NAME --json`: its contacts, open/solved, latest tickets, assets and notes."""
    org = get_org(session, name)
    day = today(session)
    contacts = session.execute(select(Contact).where(Contact.organization_id == org.id).order_by(Contact.name, Contact.id)
                               .limit(CONTACTS_MAX)).scalars().all()
    contact_count = session.execute(select(func.count()).select_from(Contact)
                                    .where(Contact.organization_id == org.id)).scalar() or 0
    mine = Ticket.organization_id == org.id
    assets = session.execute(select(Asset).where(or_(Asset.organization_id == org.id,
                                                     Asset.contact_id.in_(select(Contact.id).where(Contact.organization_id == org.id))))
                             .order_by(Asset.serial_key).limit(ASSETS_MAX)).scalars().all()
    return {
        "name": org.name, "tier": org.tier, "domain": org.domain,
        "contacts": [{"email": c.email, "name": c.name, "phone": c.phone, "tier": c.tier} for c in contacts],
        "contact_count": contact_count,
        **_counts(session, mine),
        "tickets": _latest(session, mine, latest, day),
        "assets": asset_dicts(session, list(assets), day),
        "notes": notes_about(session, organization_id=org.id),
    }


PANEL_ASSETS = 5


def requester_extras(session: Session, contact: Contact) -> dict:
    """What the app's requester panel adds to its card: open/solved counts and assets."""
    assets = session.execute(select(Asset).where(Asset.contact_id == contact.id).order_by(Asset.serial_key)
                             .limit(PANEL_ASSETS)).scalars().all()
    count = session.execute(select(func.count()).select_from(Asset).where(Asset.contact_id == contact.id)).scalar() or 0
    return {**_counts(session, Ticket.requester_id == contact.id),
            "assets": asset_dicts(session, list(assets)) if assets else [], "asset_count": count}


def ticket_requester_360(session: Session, actor: Actor, ticket_id: int) -> dict | None:
    """The 360 view of a ticket's requester (the app's `c`), or None when it has none."""
    t = session.get(Ticket, ticket_id)
    if t is None:
        raise NotFound(f"no ticket #{ticket_id}")
    c = session.get(Contact, t.requester_id) if t.requester_id else None
    return contact_360(session, c) if c is not None else None


def _counts(session: Session, where) -> dict:
    row = session.execute(select(
        func.coalesce(func.sum(case((Ticket.status.in_(OPEN), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Ticket.status.in_(SOLVED), 1), else_=0)), 0),
    ).where(where, Ticket.merged_into_id.is_(None))).one()
    return {"open": int(row[0]), "solved": int(row[1])}


def _latest(session: Session, where, limit: int, day) -> list[dict]:
    tickets = session.execute(select(Ticket).where(where).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
                              .limit(limit)).scalars().all()
    assets = assets_of_tickets(session, [t.id for t in tickets], day)
    return [{"id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority,
             "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
             "asset": (assets.get(t.id) or {}).get("serial")} for t in tickets]

