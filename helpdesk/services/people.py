"""Agents, teams, contacts (requesters) and their organizations."""

from __future__ import annotations

import re

from sqlmodel import Session, func, select

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import ROLES, Agent, Contact, Organization, Team, utcnow
from helpdesk.services.actors import Actor, desk_is_empty, require
from helpdesk.services.audit import record

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+$")


def clean_email(value: str, field: str = "email") -> str:
    email = (value or "").strip().lower()
    if not EMAIL.match(email):
        raise Invalid(f"{value!r} is not an email address", field=field)
    return email


def clean_name(value: str | None, field: str = "name", *, max_len: int = 200) -> str:
    name = " ".join((value or "").replace("\x00", "").split())
    if not name:
        raise Invalid("must not be empty", field=field)
    if len(name) > max_len:
        raise Invalid(f"is longer than {max_len} characters", field=field)
    return name


# -- teams ------------------------------------------------------------------

def add_team(session: Session, actor: Actor, name: str, email: str | None = None) -> Team:
    require(actor, "admin")
    name = clean_name(name)
    if find_team(session, name):
        raise Conflict(f"team {name!r} already exists")
    team = Team(name=name, email=clean_email(email, "email") if email else None, created_at=utcnow())
    session.add(team)
    session.flush()
    record(session, actor, "team", team.id, "created", None, name)
    return team


def find_team(session: Session, name: str) -> Team | None:
    return session.exec(select(Team).where(func.lower(Team.name) == name.strip().lower())).first()


def get_team(session: Session, name: str) -> Team:
    team = find_team(session, name)
    if team is None:
        raise NotFound(f"no team {name!r}; see `helpdesk team list`")
    return team


def list_teams(session: Session) -> list[Team]:
    return list(session.exec(select(Team).order_by(Team.name)))


# -- agents -----------------------------------------------------------------

def add_agent(
    session: Session,
    actor: Actor,
    email: str,
    name: str,
    role: str = "agent",
    team: str | None = None,
    skills: list[str] | None = None,
    capacity: int | None = None,
) -> Agent:
    """Add an agent. The first agent of an empty desk needs no actor and becomes admin."""
    first = desk_is_empty(session)
    if not first:
        require(actor, "admin")
    email = clean_email(email)
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r} (use {', '.join(ROLES)})", field="role")
    if find_agent(session, email):
        raise Conflict(f"agent {email} already exists")
    if capacity is not None and capacity < 0:
        raise Invalid("must be zero or more", field="capacity")
    agent = Agent(
        email=email,
        name=clean_name(name),
        role="admin" if first else role,
        team_id=get_team(session, team).id if team else None,
        skills=sorted({s.strip().lower() for s in skills or [] if s.strip()}),
        capacity=capacity,
        created_at=utcnow(),
    )
    session.add(agent)
    session.flush()
    record(session, actor, "agent", agent.id, "created", None, f"{email} ({agent.role})")
    return agent


def find_agent(session: Session, who: str) -> Agent | None:
    key = who.strip().lower()
    agent = session.exec(select(Agent).where(func.lower(Agent.email) == key)).first()
    return agent or session.exec(select(Agent).where(func.lower(Agent.name) == key)).first()


def get_agent(session: Session, who: str) -> Agent:
    agent = find_agent(session, who)
    if agent is None:
        raise NotFound(f"no agent {who!r}; see `helpdesk agent list`")
    return agent


def list_agents(session: Session) -> list[Agent]:
    return list(session.exec(select(Agent).order_by(Agent.name)))


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
