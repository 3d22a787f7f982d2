"""Queues as the app shows them: named queries with live counts, and windows of rows.

A queue is query-language text plus a sort, so the CLI, saved views and the app
agree on what "Unassigned" means. Rows are read by keyset pagination in both
directions (the app's table holds a window, never a whole result). Read-only."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import (
    Agent,
    Contact,
    Organization,
    Team,
    Ticket,
    TicketApprover,
    TicketTag,
    utcnow,
)
from helpdesk.query_tokens import quote
from helpdesk.services.core.actors import Actor
from helpdesk.services.tickets.listing import SORTS, condition

T = Ticket.__table__.c
PAGE = 100
OTHER_TICKETS = 5


@dataclass(frozen=True)
class Queue:
    key: str  # stable id: "mine", "team:3", "view:7"
    title: str
    query: str
    sort: str = "updated"
    descending: bool = True
    letter: str | None = None  # `g` then this letter jumps here


BUILTIN = (
    Queue("mine", "My open", "assignee:me status:active", letter="m"),
    Queue("unassigned", "Unassigned", "assignee:none status:active", letter="u"),
    Queue("due", "Due soon", "sla:due<2h -sla:breached status:active", sort="due", descending=False, letter="d"),
    Queue("breached", "Breached", "sla:breached status:active", sort="due", descending=False, letter="b"),
    Queue("open", "All open", "status:active", letter="a"),
    Queue("pending", "Pending", "status:pending", letter="p"),
    Queue("solved", "Recently solved", "status:solved,closed solved:<7d", letter="s"),
)
KB_LETTER = "k"  # `g` then `k` opens the knowledge base: no queue takes it

# Stages with approvals: what waits for my yes or no (shown once the desk has approvals).
TO_APPROVE = Queue("approve", "To approve", "approval:pending approver:me", letter="v")


def list_queues(session: Session, actor: Actor) -> list[Queue]:
    """Built-in queues, one per team, then the actor's and shared saved views."""
    from helpdesk.services.tickets.views import list_views

    queues = [q for q in BUILTIN if q.key != "mine" or actor.agent_id is not None]
    if actor.agent_id is not None and session.execute(select(TicketApprover.ticket_id).limit(1)).first():
        queues.insert(1, TO_APPROVE)
    teams = session.execute(select(Team).order_by(Team.name)).scalars()
    queues += [Queue(f"team:{t.id}", f"Team {t.name}", f"team:{quote(t.name.lower())} status:active") for t in teams]
    queues += [Queue(f"view:{v.id}", v.name, v.query) for v in list_views(session, actor)]
    return with_letters(queues)


def with_letters(queues: list[Queue]) -> list[Queue]:
    """Give every queue without a letter the first free letter of its title, else a digit."""
    taken = {q.letter for q in queues if q.letter} | {"i", KB_LETTER}  # `g i`: the insight dashboard, `g k`: the knowledge base
    out = []
    for q in queues:
        if not q.letter:
            name = q.title.removeprefix("Team ").lower()
            free = [c for c in name + "0123456789" if (c.isascii() and c.isalnum()) and c not in taken]
            q = replace(q, letter=free[0] if free else None)
            taken.add(q.letter)
        out.append(q)
    return out


def count_tickets(session: Session, actor: Actor, query: str, *, now: datetime | None = None) -> int:
    where = condition(session, actor, query, now=now or utcnow())
    return session.execute(select(func.count()).select_from(Ticket).where(where)).scalar_one()


def queue_counts(session: Session, actor: Actor, queues: list[Queue], *, now: datetime | None = None) -> dict[str, int | None]:
    """Live counts for the sidebar; a queue whose query no longer runs counts None."""
    now = now or utcnow()
    out: dict[str, int | None] = {}
    for q in queues:
        try:
            out[q.key] = count_tickets(session, actor, q.query, now=now)
        except Invalid:
            out[q.key] = None
    return out


# -- windows of rows ----------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One ticket as a queue row shows it; `position` is its keyset cursor."""

    id: int
    version: int
    subject: str
    status: str
    priority: str
    requester: str | None
    assignee: str | None
    updated_at: datetime
    sla_state: str | None
    sla_due_at: datetime | None
    position: tuple


@dataclass(frozen=True)
class Rows:
    rows: list[Row]
    more: bool  # rows exist beyond the last one, in the direction read


def _components(sort: str, descending: bool) -> list[tuple[Any, bool]]:
    """(expression, descending) pairs that order the view; the last is the ticket number."""
    if sort not in SORTS:
        raise Invalid(f"unknown sort {sort!r} (use {', '.join(SORTS)})", field="sort")
    if sort == "due":  # tickets without a clock go last either way
        return [(case((T.sla_due_at.is_(None), 1), else_=0), False), (T.sla_due_at, descending), (T.id, descending)]
    if sort == "id":
        return [(T.id, descending)]
    return [(SORTS[sort], descending), (T.id, descending)]


def _beyond(components: list[tuple[Any, bool]], position: tuple, forward: bool, inclusive: bool = False):
    """Rows strictly after (forward) or before `position` in view order: a lexicographic keyset."""
    ors, equal = [], []
    for (expr, desc), value in zip(components, position):
        if value is None:  # a NULL group: every row in it ties on this component
            equal.append(expr.is_(None))
            continue
        greater = (not desc) == forward
        ors.append(and_(*equal, expr > value if greater else expr < value))
        equal.append(expr == value)
    if inclusive:
        ors.append(and_(*equal))
    cond = or_(*ors)
    first, desc = components[0]
    if position[0] is not None and len(components) > 1:
        # implied by the OR above, but lets the index seek to the position instead of scanning to it
        greater = (not desc) == forward
        cond = and_(first >= position[0] if greater else first <= position[0], cond)
    return cond


def read_rows(session: Session, actor: Actor, query: str, *, sort: str = "updated", descending: bool = True,
              after: tuple | None = None, before: tuple | None = None, start: tuple | None = None,
              limit: int = PAGE, now: datetime | None = None) -> Rows:
    """A page of rows in view order: from the top, `after`/`before` a position, or from `start` inclusive.

    Reading `before` a position walks the order backwards and returns the rows in
    view order; with no position at all and `before=()`, it reads the last page."""
    comps = _components(sort, descending)
    forward = before is None
    stmt = select(T.id, T.version, T.subject, T.status, T.priority, T.requester_id, T.assignee_id, T.updated_at,
                  T.sla_state, T.sla_due_at, *(expr.label(f"k{i}") for i, (expr, _) in enumerate(comps)))
    stmt = stmt.where(condition(session, actor, query, now=now or utcnow()))
    if after is not None:
        stmt = stmt.where(_beyond(comps, after, True))
    elif before:
        stmt = stmt.where(_beyond(comps, before, False))
    elif start is not None:
        stmt = stmt.where(_beyond(comps, start, True, inclusive=True))
    stmt = stmt.order_by(*((e.desc() if d == forward else e.asc()) for e, d in comps))
    found = session.execute(stmt.limit(limit + 1)).all()
    more = len(found) > limit
    found = found[:limit]
    if not forward:
        found.reverse()
    return Rows(_to_rows(session, found, len(comps)), more)


def count_before(session: Session, actor: Actor, query: str, position: tuple, *, sort: str = "updated",
                 descending: bool = True, now: datetime | None = None) -> int:
    """How many rows of the view come before `position`: where a window starts in the whole view."""
    comps = _components(sort, descending)
    where = and_(condition(session, actor, query, now=now or utcnow()), _beyond(comps, position, False))
    return session.execute(select(func.count()).select_from(Ticket).where(where)).scalar_one()


def _to_rows(session: Session, found, n_keys: int) -> list[Row]:
    people = _names(session, Contact, {r.requester_id for r in found}, Contact.email)
    agents = _names(session, Agent, {r.assignee_id for r in found}, Agent.email)
    return [Row(r.id, r.version, r.subject, r.status, r.priority, people.get(r.requester_id),
                agents.get(r.assignee_id), r.updated_at, r.sla_state, r.sla_due_at,
                tuple(getattr(r, f"k{i}") for i in range(n_keys))) for r in found]


def _names(session: Session, model, ids: set, email_col) -> dict[int, str]:
    ids.discard(None)
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.name, email_col).where(model.id.in_(ids)))
    return {i: name or email for i, name, email in rows}


def view_ids(session: Session, actor: Actor, query: str, *, now: datetime | None = None) -> list[int]:
    """Every ticket number in a view (for "mark all"): numbers only, never whole rows."""
    where = condition(session, actor, query, now=now or utcnow())
    return list(session.execute(select(T.id).where(where).order_by(T.id)).scalars())


# -- what pickers and the detail pane need --------------------------------------

def known_tags(session: Session, limit: int = 300) -> list[str]:
    """Tags in use, most used first (the tag picker's list)."""
    stmt = select(TicketTag.tag).group_by(TicketTag.tag).order_by(func.count().desc(), TicketTag.tag)
    return list(session.execute(stmt.limit(limit)).scalars())


def assignable_agents(session: Session) -> list[Agent]:
    stmt = select(Agent).where(Agent.active.is_(True), Agent.role != "viewer").order_by(Agent.name)
    return list(session.execute(stmt).scalars())


def requester_card(session: Session, ticket: Ticket) -> dict | None:
    """The requester panel: contact, organization, tier and their other tickets."""
    if ticket.requester_id is None:
        return None
    from helpdesk.services.people.history import requester_extras

    c = session.get(Contact, ticket.requester_id)
    org = session.get(Organization, c.organization_id) if c and c.organization_id else None
    if c is None:
        return None
    others_q = select(T.id, T.subject, T.status).where(T.requester_id == c.id, T.id != ticket.id)
    others = session.execute(others_q.order_by(T.updated_at.desc()).limit(OTHER_TICKETS)).all()
    total = session.execute(select(func.count()).select_from(Ticket).where(T.requester_id == c.id)).scalar_one()
    return {
        "name": c.name, "email": c.email, "phone": c.phone, "organization": org.name if org else None,
        "tier": c.tier or (org.tier if org else None), "ticket_count": total,
        "others": [{"id": i, "subject": s, "status": st} for i, s, st in others],
        **requester_extras(session, c),  # open/solved, assets (the 360 summary)
    }
