"""Automatic assignment: a team's waiting tickets go to its agents with room.

A ticket waits when its team routes automatically (round_robin or least_loaded), it
is `new` or `open`, unassigned and not merged. Waiting tickets are served by
priority, then age. An agent is eligible when in the team, active, not away, with
spare capacity (load = their `new` + `open` tickets; no capacity = unlimited) and
every skill the ticket requires, unless the ticket has waited longer than the
team's skills timeout. round_robin picks the eligible agent given a ticket longest
ago; least_loaded the one with the most room, ties to the one served longest ago.

Routing runs just before the commit of any change that may free a slot or make a
ticket wait (subscriber below, via `bus.at_commit`), and on demand (`helpdesk
route`). On PostgreSQL the team row is locked first, so two processes routing
at once never see the same free slot; SQLite write transactions are serial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from helpdesk.models import PRIORITIES, Agent, Team, Ticket, TicketSkill, utcnow
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import EVENT_COLUMNS
from helpdesk.services.core.bulk_sql import insert_rows, listed

STRATEGIES = ("manual", "round_robin", "least_loaded")
LOADED = ("new", "open")  # what counts against capacity; pending, on_hold, solved free it
ROUTER = Actor(None, "routing", "Routing", "admin")
UNLIMITED = 10**9


@dataclass(frozen=True)
class Assignment:
    ticket_id: int
    agent: str  # email
    team: str
    strategy: str

    def to_dict(self) -> dict:
        return {"ticket": self.ticket_id, "agent": self.agent, "team": self.team, "strategy": self.strategy}


@dataclass
class _Seat:
    agent: Agent
    load: int

    @property
    def room(self) -> int:
        return UNLIMITED if self.agent.capacity is None else self.agent.capacity - self.load


def route_now(session: Session, actor: Actor, *, dry_run: bool = False) -> list[Assignment]:
    """`helpdesk route`: an agent (or admin) serves the waiting tickets now; routing on
    every change and the worker need no one."""
    require(actor, "agent")
    return route(session, dry_run=dry_run)


def route(session: Session, *, teams: set[int] | None = None, now: datetime | None = None,
          dry_run: bool = False) -> list[Assignment]:
    """Serve waiting tickets of the routing teams (all, or those in `teams`)."""
    now = now or utcnow()
    stmt = select(Team).where(Team.routing != "manual").order_by(Team.id)
    if teams is not None:
        if not teams:
            return []
        stmt = stmt.where(Team.id.in_(teams))
    if session.get_bind().dialect.name == "postgresql":
        # NO KEY UPDATE: serialises routers, yet does not wait on the key-share locks
        # that inserting a ticket of this team takes (FOR UPDATE would deadlock on them)
        stmt = stmt.with_for_update(key_share=True)
    done: list[Assignment] = []
    # the SLA clocks of the tickets assigned are worked out once, after all the
    # assignments (as each would have: actor routing, "after assignee"), not once each
    from helpdesk.services.sla.tracking import one_recompute

    with one_recompute(session, now=now, actor=ROUTER, reason="after assignee"):
        for team in session.execute(stmt).scalars().all():
            done += _route_team(session, team, now, dry_run)
    return done


def _route_team(session: Session, team: Team, now: datetime, dry_run: bool) -> list[Assignment]:
    seats = _seats(session, team)
    if not seats:
        return []
    waiting = _waiting(session, team)
    needs = _skills(session, [t.id for t in waiting])
    turn = _last_turn(session)
    done, assigned = [], []
    for ticket in waiting:  # (id, priority, created_at) rows
        if all(s.room <= 0 for s in seats):
            break
        required = needs.get(ticket.id, set())
        if required and team.skills_timeout is not None and ticket.created_at <= now - timedelta(seconds=team.skills_timeout):
            required = set()
        eligible = [s for s in seats if s.room > 0 and required <= {k.lower() for k in s.agent.skills or ()}]
        if not eligible:
            continue
        seat = _pick(eligible, team.routing)
        turn += 1
        seat.load += 1
        seat.agent.routed_turn = turn
        done.append(Assignment(ticket.id, seat.agent.email, team.name, team.routing))
        if not dry_run:  # agent.routed_turn, set above, goes in with the next flush
            assigned.append((ticket.id, seat.agent))
    if dry_run:
        session.expire_all()  # forget the turns counted for the preview
    elif assigned:
        _assign(session, assigned, f"routed: {team.routing}")
    return done


def _assign(session: Session, assigned: list[tuple[int, Agent]], reason: str) -> None:
    """What `lifecycle.touch` does for each assignment, as set-based row writes: one
    UPDATE per agent, the events in one insert, then each ticket's ticket.updated
    (published together: nothing here reads what the others wrote). Stamped with the
    time of writing, as `touch` does, not the `now` routing decided by."""
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    from helpdesk.models import Event

    session.flush()  # what the ORM holds goes first: events keep their order per ticket
    now = utcnow()
    table = Ticket.__table__
    by_agent: dict[int, list[int]] = {}
    for tid, agent in assigned:
        by_agent.setdefault(agent.id, []).append(tid)
    for agent_id, ids in by_agent.items():
        session.execute(update(table).where(table.c.id.in_(listed(session, ids)))
                        .values(assignee_id=agent_id, version=table.c.version + 1, updated_at=now))
    identity = session.identity_map
    for tid, agent in assigned:  # ticket objects the session holds take the values written
        ticket = identity.get((Ticket, (tid,), None)) if len(identity) else None
        if ticket is not None:
            set_committed_value(ticket, "assignee_id", agent.id)
            set_committed_value(ticket, "version", ticket.version + 1)
            set_committed_value(ticket, "updated_at", now)
    insert_rows(session, Event.__table__, EVENT_COLUMNS,
                [(tid, "ticket", tid, now, ROUTER.label, "assignee", None, agent.email, reason) for tid, agent in assigned])
    bus.publish_many(session, [bus.DomainEvent("ticket.updated", tid, ROUTER, changes={"assignee": (None, agent.email)})
                               for tid, agent in assigned])


def _seats(session: Session, team: Team) -> list[_Seat]:
    agents = session.execute(select(Agent).where(
        Agent.team_id == team.id, Agent.active.is_(True), Agent.away.is_(False), Agent.role != "viewer",
    ).order_by(Agent.id)).scalars().all()
    if not agents:
        return []
    loads = dict(session.execute(select(Ticket.assignee_id, func.count()).where(
        Ticket.assignee_id.in_([a.id for a in agents]), Ticket.status.in_(LOADED)).group_by(Ticket.assignee_id)).all())
    return [_Seat(a, loads.get(a.id, 0)) for a in agents]


def _waiting(session: Session, team: Team) -> list:
    """The team's waiting tickets as (id, priority, created_at) rows, served first first."""
    rows = session.execute(select(Ticket.id, Ticket.priority, Ticket.created_at).where(
        Ticket.team_id == team.id, Ticket.assignee_id.is_(None), Ticket.status.in_(LOADED),
        Ticket.merged_into_id.is_(None))).all()
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    return sorted(rows, key=lambda t: (-rank.get(t.priority, 1), t.created_at, t.id))


def _skills(session: Session, ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for start in range(0, len(ids), 500):
        for tid, skill in session.execute(select(TicketSkill.ticket_id, TicketSkill.skill)
                                          .where(TicketSkill.ticket_id.in_(ids[start:start + 500]))):
            out.setdefault(tid, set()).add(skill.lower())
    return out


def _last_turn(session: Session) -> int:
    return session.execute(select(func.coalesce(func.max(Agent.routed_turn), 0))).scalar_one()


def _pick(eligible: list[_Seat], strategy: str) -> _Seat:
    if strategy == "least_loaded":
        return min(eligible, key=lambda s: (-s.room, s.agent.routed_turn, s.agent.id))
    return min(eligible, key=lambda s: (s.agent.routed_turn, s.agent.id))


# -- when to route -------------------------------------------------------------------

ROUTE_KEY = "route_teams"


def want_route(session: Session, team_ids) -> None:
    """Route these teams before this transaction commits."""
    wanted: set[int] = session.info.setdefault(ROUTE_KEY, set())
    wanted.update(t for t in team_ids if t is not None)
    if wanted:
        bus.at_commit(session, "routing", _route_wanted)


def _route_wanted(session: Session) -> None:
    teams = session.info.pop(ROUTE_KEY, set())
    if teams and _any_routing_team(session):
        route(session, teams=teams)


def _any_routing_team(session: Session) -> bool:
    return session.execute(select(Team.id).where(Team.routing != "manual").limit(1)).first() is not None


@bus.subscribe("ticket.created", "ticket.updated")
def on_ticket_change(session: Session, event: bus.DomainEvent) -> None:
    """A ticket may now wait (new, team set, unassigned, reopened) or its agent may have
    a free slot (solved, pending, reassigned): route its team and its agents' teams."""
    if not _may_route(event):
        return
    ticket = session.get(Ticket, event.ticket_id)
    if ticket is None:
        return
    _route_around(session, {ticket.team_id}, {ticket.assignee_id}, [event])


ROUTING_INPUTS = frozenset({"status", "team", "assignee", "priority", "skills"})


def _may_route(event: bus.DomainEvent) -> bool:
    """Whether this change can make a ticket wait or free a slot: not routing's own
    assignment, nor a tag or a field (nothing routing reads)."""
    if event.actor is ROUTER and set(event.changes) == {"assignee"}:
        return False
    if event.name != "ticket.updated" or not event.changes:
        return True
    changed = event.changed_keys()
    return changed is None or bool(changed & ROUTING_INPUTS)


@bus.many(on_ticket_change)
def on_many_changes(session: Session, events: list[bus.DomainEvent]) -> None:
    """`on_ticket_change` for a change to many tickets (a rule's firing over a batch):
    their teams and agents read in one query."""
    events = [e for e in events if _may_route(e)]
    if not events:
        return
    teams: set[int | None] = set()
    agent_ids: set[int | None] = set()
    ids = list(dict.fromkeys(e.ticket_id for e in events))
    for team_id, assignee_id in session.execute(select(Ticket.team_id, Ticket.assignee_id)
                                                .where(Ticket.id.in_(listed(session, ids)))):
        teams.add(team_id)
        agent_ids.add(assignee_id)
    _route_around(session, teams, agent_ids, events)


def _route_around(session: Session, teams: set, agent_ids: set, events: list[bus.DomainEvent]) -> None:
    """Route `teams`, and the teams of these agents and of the agents the changes took
    tickets from (a freed slot)."""
    for old in {e.changes["assignee"][0] for e in events if e.changes.get("assignee", (None, None))[0]}:
        agent_ids.add(session.execute(select(Agent.id).where(Agent.email == old)).scalar())
    agent_ids.discard(None)
    for agent_id in agent_ids:
        agent = _agent(session, agent_id)
        if agent is not None:
            teams.add(agent.team_id)
    want_route(session, teams)


def _agent(session: Session, agent_id: int) -> Agent | None:
    """By primary key from the session's identity map, which holds rows only weakly: the
    agents are held for this transaction, so a run of changes does not query one per ticket."""
    transaction, held = session.info.get("routing_agents", (None, {}))
    if transaction is not session.get_transaction():
        held = {}
        session.info["routing_agents"] = (session.get_transaction(), held)
    if agent_id not in held:
        held[agent_id] = session.get(Agent, agent_id)
    return held[agent_id]


@bus.subscribe("tickets.created", "tickets.imported")
def on_many_tickets(session: Session, event: bus.DomainEvent) -> None:
    ids = [*event.data.get("ids", ()), *event.data.get("updated", ())]
    if not ids or not _any_routing_team(session):
        return
    teams: set[int] = set()
    for start in range(0, len(ids), 500):
        teams |= set(session.execute(select(Ticket.team_id).where(Ticket.id.in_(ids[start:start + 500]))
                                     .distinct()).scalars())
    want_route(session, teams)


@bus.subscribe("agent.updated", "team.updated")
def on_people_change(session: Session, event: bus.DomainEvent) -> None:
    want_route(session, event.data.get("teams", ()))
