"""Finding tickets (query language, keyset pages) and presenting them as plain dicts.

The dict shapes are the CLI's JSON contract (DESIGN.md); the TUI reads the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import (
    PRIORITIES,
    Agent,
    Attachment,
    Contact,
    Event,
    Message,
    Organization,
    Team,
    Ticket,
    utcnow,
)
from helpdesk.services.core.actors import Actor
from helpdesk.services.tickets.lifecycle import tags_of_many

T = Ticket.__table__.c
FAR_FUTURE = datetime(9999, 1, 1)
SORTS: dict[str, Any] = {
    "updated": T.updated_at,
    "created": T.created_at,
    "id": T.id,
    "priority": case({p: i for i, p in enumerate(PRIORITIES)}, value=T.priority),
    "due": T.sla_due_at,
    "status": T.status,
}


# Counting a query that joins a very common word costs a pass over every hit;
# past this many, the count stops and says "at least".
COUNT_CAP = 10_000


@dataclass
class Page:
    tickets: list[Ticket]
    total: int | None
    cursor: tuple | None  # pass as `after` for the next page; None at the end
    total_exact: bool = True  # False: at least `total` tickets match


def parse_query(text: str, *, now: datetime | None = None, tz=None):
    from zoneinfo import ZoneInfo

    from helpdesk.query import parse

    return parse(text or "", now=now or utcnow(), tz=tz or ZoneInfo("UTC"))


def condition(session: Session, actor: Actor, text: str, *, now: datetime | None = None, tz=None):
    return _compile(session, actor, text, now=now, tz=tz)[0]


def _compile(session: Session, actor: Actor, text: str, *, now=None, tz=None):
    """(SQL condition, parsed query, compiler) for query text."""
    from helpdesk.query_sql import Compiler

    now = now or utcnow()
    query = parse_query(text, now=now, tz=tz)
    compiler = Compiler(session, me=actor.agent_id, now=now)
    return compiler.compile(query), query, compiler


def find_tickets(session: Session, actor: Actor, text: str = "", *, limit: int = 100, sort: str = "updated",
                 descending: bool = True, after: tuple | None = None, count: bool = True,
                 now: datetime | None = None, tz=None) -> Page:
    """One page of tickets matching `text`, ordered by `sort` then number."""
    if sort not in SORTS:
        raise Invalid(f"unknown sort {sort!r} (use {', '.join(SORTS)})", field="sort")
    if limit < 1:
        raise Invalid("must be at least 1", field="limit")
    where, query, compiler = _compile(session, actor, text, now=now, tz=tz)
    key = SORTS[sort]
    stmt = select(Ticket, key.label("sort_key")).where(where)
    if after is not None:
        stmt = stmt.where(_after(key, after, descending))
    order = (key.desc(), T.id.desc()) if descending else (key.asc(), T.id.asc())
    if sort == "due":  # tickets without a clock go last either way
        order = (T.sla_due_at.is_(None), *order)
    rows = session.execute(stmt.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    total, exact = _count(session, where, query, compiler) if count else (None, True)
    cursor = (rows[-1].sort_key, rows[-1].Ticket.id) if more and rows else None
    return Page([r.Ticket for r in rows], total, cursor, exact)


def _count(session: Session, where, query, compiler) -> tuple[int, bool]:
    from helpdesk import search

    terms = query.terms
    if len(terms) == 1 and terms[0].field == "text" and not terms[0].negated and len(terms[0].values) == 1:
        return search.count_matches(session, terms[0].values[0]), True
    if not compiler.many_hits:
        return session.execute(select(func.count()).select_from(Ticket).where(where)).scalar_one(), True
    capped = select(T.id).where(where).limit(COUNT_CAP + 1).subquery()
    n = session.execute(select(func.count()).select_from(capped)).scalar_one()
    return min(n, COUNT_CAP), n <= COUNT_CAP


def _after(key, cursor: tuple, descending: bool):
    value, last_id = cursor
    if value is None:  # only "due" has NULLs; they sort last, ordered by id
        return and_(key.is_(None), T.id < last_id if descending else T.id > last_id)
    beyond = key < value if descending else key > value
    same = and_(key == value, T.id < last_id if descending else T.id > last_id)
    return or_(beyond, same, key.is_(None)) if key is T.sla_due_at else or_(beyond, same)


# -- presenting ---------------------------------------------------------------

def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _by_id(session: Session, model, ids) -> dict[int, Any]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in session.execute(select(model).where(model.id.in_(ids))).scalars()}


def ticket_dicts(session: Session, tickets: list[Ticket], *, now: datetime | None = None) -> list[dict]:
    """The JSON shape of the CLI contract, loading related rows in a few queries."""
    from helpdesk.services.sla.clocks import sla_summaries

    contacts = _by_id(session, Contact, (t.requester_id for t in tickets))
    orgs = _by_id(session, Organization, (t.organization_id for t in tickets))
    agents = _by_id(session, Agent, (t.assignee_id for t in tickets))
    teams = _by_id(session, Team, (t.team_id for t in tickets))
    tags = tags_of_many(session, [t.id for t in tickets])
    slas = sla_summaries(session, tickets, now=now or utcnow())
    from helpdesk.services.customers.assets import assets_of_tickets

    assets = assets_of_tickets(session, [t.id for t in tickets])
    out = []
    for t in tickets:
        c = contacts.get(t.requester_id)
        out.append({
            "id": t.id, "subject": t.subject, "status": t.status, "priority": t.priority, "type": t.type,
            "channel": t.channel,
            "requester": {"email": c.email, "name": c.name} if c else None,
            "organization": orgs[t.organization_id].name if t.organization_id in orgs else None,
            "assignee": agents[t.assignee_id].email if t.assignee_id in agents else None,
            "team": teams[t.team_id].name if t.team_id in teams else None,
            "tags": tags[t.id], "fields": dict(t.fields or {}), "external_id": t.external_id,
            "created_at": iso(t.created_at), "updated_at": iso(t.updated_at),
            "first_response_at": iso(t.first_response_at), "solved_at": iso(t.solved_at),
            "closed_at": iso(t.closed_at), "merged_into": t.merged_into_id,
            "sla": slas[t.id], "version": t.version,
            "asset": assets.get(t.id),
        })
    return out


def ticket_detail(session: Session, ticket: Ticket, *, now: datetime | None = None) -> dict:
    """`show --json`: the ticket plus messages[], events[] and side_conversations[]."""
    data = ticket_dicts(session, [ticket], now=now)[0]
    messages = session.execute(select(Message).where(Message.ticket_id == ticket.id).order_by(Message.created_at, Message.id)).scalars().all()
    files: dict[int, list[dict]] = {m.id: [] for m in messages}
    if messages:
        for a in session.execute(select(Attachment).where(Attachment.message_id.in_(list(files)))).scalars():
            files[a.message_id].append({"filename": a.filename, "content_type": a.content_type, "size": a.size, "path": a.path})
    authors = _by_id(session, Agent, (m.author_agent_id for m in messages))
    contacts = _by_id(session, Contact, (m.author_contact_id for m in messages))
    data["messages"] = [{
        "id": m.id, "kind": m.kind,
        "author": _author(m, authors, contacts),
        "by": "agent" if m.author_agent_id else ("customer" if m.author_contact_id else "system"),
        "body": m.body, "created_at": iso(m.created_at), "attachments": files[m.id],
    } for m in messages]
    events = session.execute(select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id)).scalars().all()
    data["events"] = [{"at": iso(e.at), "actor": e.actor, "field": e.field, "old": e.old, "new": e.new,
                       **({"reason": e.reason} if e.reason else {})} for e in events]
    from helpdesk.services.mail.sides import sides_json

    data["side_conversations"] = sides_json(session, ticket.id)  # third parties, apart from messages[]
    return data


def _author(m: Message, agents: dict, contacts: dict) -> str | None:
    if m.author_agent_id in agents:
        return agents[m.author_agent_id].email
    if m.author_contact_id in contacts:
        return contacts[m.author_contact_id].email or contacts[m.author_contact_id].name
    return m.author_name
