"""Who is acting, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from helpdesk.errors import Forbidden, NotFound
from helpdesk.models import Agent

RANK = {"viewer": 0, "agent": 1, "admin": 2}
WHAT = {"agent": "work tickets", "admin": "manage agents, teams and settings"}


@dataclass(frozen=True)
class Actor:
    """The agent behind a change; `agent_id` is None for the system (worker, rules)."""

    agent_id: int | None
    email: str
    name: str
    role: str

    @property
    def label(self) -> str:
        return self.email


SYSTEM = Actor(None, "system", "System", "admin")
ANONYMOUS = Actor(None, "anonymous", "Anonymous", "viewer")


def require(actor: Actor, role: str) -> None:
    if RANK[actor.role] < RANK[role]:
        who = "no agent is set (use --as EMAIL or HELPDESK_AGENT)" if actor is ANONYMOUS else f"{actor.email} is {actor.role}"
        raise Forbidden(f"only {role}s may {WHAT[role]}; {who}")


def desk_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Agent)).one() == 0


def resolve_actor(session: Session, who: str | None) -> Actor:
    """`--as` / HELPDESK_AGENT value (email or name) -> Actor; None -> ANONYMOUS."""
    if not who:
        return ANONYMOUS
    key = who.strip().lower()
    agent = session.exec(select(Agent).where(func.lower(Agent.email) == key)).first()
    if agent is None:
        agent = session.exec(select(Agent).where(func.lower(Agent.name) == key)).first()
    if agent is None:
        raise NotFound(f"no agent {who!r} (acting agent from --as / HELPDESK_AGENT); see `helpdesk agent list`")
    if not agent.active:
        raise Forbidden(f"agent {agent.email} is deactivated")
    return actor_of(agent)


def actor_of(agent: Agent) -> Actor:
    return Actor(agent.id, agent.email, agent.name, agent.role)
