"""Contacts (requesters) and their organizations."""

from __future__ import annotations

from sqlmodel import Session, func, select

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import Contact, Organization, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record
from helpdesk.services.people.names import clean_email, clean_name

# -- organizations and contacts ------------------------------------------------

def get_or_create_org(session: Session, name: str, tier: str | None = None) -> Organization:
    name = clean_name(name, "org")
    org = session.exec(select(Organization).where(func.lower(Organization.name) == name.lower())).first()
    if org is None:
        org = Organization(name=name, tier=tier, created_at=utcnow())
        session.add(org)
        session.flush()
    elif tier and org.tier != tier:
        org.tier = tier
    return org


def add_contact(
    session: Session,
    actor: Actor,
    email: str | None,
    name: str | None = None,
    org: str | None = None,
    tier: str | None = None,
    phone: str | None = None,
) -> Contact:
    require(actor, "agent")
    email = clean_email(email) if email else None
    if email and find_contact(session, email):
        raise Conflict(f"contact {email} already exists")
    if not email and not phone:
        raise Invalid("a contact needs an email or a phone number", field="email")
    tier = tier.strip().lower() if tier else None
    contact = Contact(
        email=email,
        name=clean_name(name or (email.split("@")[0] if email else phone)),
        phone=phone.strip() if phone else None,
        tier=tier,
        organization_id=get_or_create_org(session, org).id if org else None,
        created_at=utcnow(),
    )
    session.add(contact)
    session.flush()
    record(session, actor, "contact", contact.id, "created", None, email or contact.phone)
    return contact


def find_contact(session: Session, email: str) -> Contact | None:
    return session.exec(select(Contact).where(Contact.email == email.strip().lower())).first()


def get_contact(session: Session, email: str) -> Contact:
    contact = find_contact(session, email)
    if contact is None:
        raise NotFound(f"no contact {email!r}; see `helpdesk contact list`")
    return contact


def requester_for(session: Session, actor: Actor, email: str, name: str | None = None) -> Contact:
    """The contact with this email, created on first sight."""
    contact = find_contact(session, clean_email(email, "requester"))
    return contact or add_contact(session, actor, email, name)


def list_contacts(session: Session, text: str | None = None, limit: int = 100) -> tuple[list[Contact], int]:
    stmt = select(Contact)
    if text:
        like = f"%{text.strip().lower()}%"
        stmt = stmt.outerjoin(Organization).where(
            func.lower(Contact.email).like(like) | func.lower(Contact.name).like(like) | func.lower(Organization.name).like(like)
        )
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(stmt.order_by(Contact.name, Contact.id).limit(limit)).all()
    return list(rows), total
