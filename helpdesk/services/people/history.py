"""A customer's history: their organization, tickets and assets."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.models import Asset, Organization, Ticket
from helpdesk.services.core.actors import Actor
from helpdesk.services.people.contacts import get_contact
from helpdesk.services.tickets.listing import iso

HISTORY_LIMIT = 200


def contact_history(session: Session, actor: Actor, email: str) -> dict:
    c = get_contact(session, email)
    org = session.get(Organization, c.organization_id) if c.organization_id else None
    tickets = session.execute(select(Ticket).where(Ticket.requester_id == c.id)
                              .order_by(Ticket.updated_at.desc()).limit(HISTORY_LIMIT)).scalars().all()
    assets = session.execute(select(Asset).where(Asset.contact_id == c.id).order_by(Asset.serial)).scalars().all()
    return {
        "email": c.email, "name": c.name, "phone": c.phone, "organization": org.name if org else None,
        "tier": c.tier or (org.tier if org else None),
        "tickets": [{"id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority,
                     "updated_at": iso(t.updated_at)} for t in tickets],
        "assets": [{"serial": a.serial, "model": a.model, "warranty_end": iso(a.warranty_end)} for a in assets],
    }
