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


# -- changing them (routing listens: a freed or new slot serves what waits) -----------

ROUTINGS = ("manual", "round_robin", "least_loaded")
_UNSET = object()


def update_agent(session: Session, actor: Actor, who: str, *, name=_UNSET, role=_UNSET, team=_UNSET,
                 skills=_UNSET, capacity=_UNSET, away=_UNSET) -> dict:
    """Change an agent (admins; anyone may set themselves away or back). Returns the diff."""
    from helpdesk.services.core import bus

    agent = get_agent(session, who)
    only_away = name is _UNSET and role is _UNSET and team is _UNSET and skills is _UNSET and capacity is _UNSET
    if not (only_away and actor.agent_id == agent.id):
        require(actor, "admin")
    diff: dict = {}
    old_team = agent.team_id

    def put(field: str, value, shown=None) -> None:
        old = getattr(agent, field)
        if old != value:
            setattr(agent, field, value)
            diff[field.removesuffix("_id")] = shown or (old, value)

    if name is not _UNSET:
        put("name", clean_name(name))
    if role is not _UNSET:
        if role not in ROLES:
            raise Invalid(f"unknown role {role!r} (use {', '.join(ROLES)})", field="role")
        if agent.role == "admin" and role != "admin" and _admins(session) == 1:
            raise Conflict(f"{agent.email} is the desk's only admin; make another agent admin first")
        put("role", role)
    if team is not _UNSET:
        new = get_team(session, team) if team else None
        old = session.get(Team, agent.team_id) if agent.team_id else None
        put("team_id", new.id if new else None, (old and old.name, new and new.name))
    if skills is not _UNSET:
        put("skills", sorted({s.strip().lower() for s in skills or [] if s.strip()}))
    if capacity is not _UNSET:
        if capacity is not None and capacity < 0:
            raise Invalid("must be zero or more (or none for no limit)", field="capacity")
        put("capacity", capacity)
    if away is not _UNSET:
        put("away", bool(away))
    if diff:
        session.add(agent)
        for field, (old, new) in diff.items():
            record(session, actor, "agent", agent.id, field, old, new)
        session.flush()
        bus.publish(session, bus.DomainEvent("agent.updated", None, actor, changes=diff,
                                             data={"teams": [t for t in (old_team, agent.team_id) if t]}))
    return diff


def _admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Agent).where(Agent.role == "admin", Agent.active)).one()


def update_team(session: Session, actor: Actor, name: str, *, routing=_UNSET, skills_timeout=_UNSET,
                email=_UNSET) -> dict:
    """Change how a team routes (admins). Returns the diff."""
    from helpdesk.services.core import bus

    require(actor, "admin")
    team = get_team(session, name)
    diff: dict = {}
    if routing is not _UNSET:
        routing = (routing or "").strip().lower().replace("-", "_")
        if routing not in ROUTINGS:
            raise Invalid(f"unknown routing {routing!r} (use {', '.join(ROUTINGS)})", field="routing")
        if team.routing != routing:
            diff["routing"] = (team.routing, routing)
            team.routing = routing
    if skills_timeout is not _UNSET:
        if skills_timeout is not None and skills_timeout <= 0:
            raise Invalid("must be longer than zero", field="skills_timeout")
        if team.skills_timeout != skills_timeout:
            diff["skills_timeout"] = (team.skills_timeout, skills_timeout)
            team.skills_timeout = skills_timeout
    if email is not _UNSET:
        new = clean_email(email, "email") if email else None
        if team.email != new:
            diff["email"] = (team.email, new)
            team.email = new
    if diff:
        session.add(team)
        for field, (old, new) in diff.items():
            record(session, actor, "team", team.id, field, old, new)
        session.flush()
        bus.publish(session, bus.DomainEvent("team.updated", None, actor, changes=diff, data={"teams": [team.id]}))
    return diff


def agent_loads(session: Session) -> dict[int, int]:
    """Each agent's load: their new and open tickets (what capacity counts)."""
    from helpdesk.models import Ticket

    return dict(session.exec(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.is_not(None), Ticket.status.in_(("new", "open"))).group_by(Ticket.assignee_id)).all())
