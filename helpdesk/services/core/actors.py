"""Who is acting, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    why: str = field(default="", compare=False)  # for nobody: why no agent was found

    @property
    def label(self) -> str:
        return self.email

    @property
    def anonymous(self) -> bool:
        return self.agent_id is None and self.email == "anonymous"


SYSTEM = Actor(None, "system", "System", "admin")
ANONYMOUS = Actor(None, "anonymous", "Anonymous", "viewer")
UNSET = "no agent is set (use --as EMAIL or HELPDESK_AGENT)"


def nobody(why: str) -> Actor:
    """Anonymous, with the reason a role check reports."""
    return Actor(None, "anonymous", "Anonymous", "viewer", why)


def require(actor: Actor, role: str) -> None:
    if RANK[actor.role] < RANK[role]:
        who = (actor.why or UNSET) if actor.anonymous else f"{actor.email} is {actor.role}"
        raise Forbidden(f"only {role}s may {WHAT[role]}; {who}")


def desk_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Agent)).one() == 0


def find_acting(session: Session, who: str) -> Agent | None:
    """The agent an email or a name names, if any."""
    key = who.strip().lower()
    agent = session.exec(select(Agent).where(func.lower(Agent.email) == key)).first()
    return agent or session.exec(select(Agent).where(func.lower(Agent.name) == key)).first()


def resolve_actor(session: Session, who: str | None, source: str = "--as / HELPDESK_AGENT") -> Actor:
    """An acting agent's email or name -> Actor; None -> ANONYMOUS. `source` names
    where `who` came from, for the error."""
    if not who:
        return ANONYMOUS
    agent = find_acting(session, who)
    if agent is None:
        raise NotFound(f"no agent {who!r} (acting agent from {source}); see `helpdesk agent list`")
    if not agent.active:
        raise Forbidden(f"agent {agent.email} is deactivated (acting agent from {source})")
    return actor_of(agent)


def actor_of(agent: Agent) -> Actor:
    return Actor(agent.id, agent.email, agent.name, agent.role)
