"""Agents and the teams they work in."""

from __future__ import annotations

from sqlmodel import Session, func, select

from helpdesk.errors import Conflict, Invalid, NotFound
from helpdesk.models import ROLES, Agent, Team, utcnow
from helpdesk.services.core.actors import Actor, desk_is_empty, require
from helpdesk.services.core.audit import record
from helpdesk.services.people.names import clean_email, clean_name

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
