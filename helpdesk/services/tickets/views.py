"""Saved views: a named query, personal or shared with the team."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session

from helpdesk.errors import Conflict, NotFound
from helpdesk.models import SavedView, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.people.names import clean_name
from helpdesk.services.tickets.listing import parse_query


def add_view(session: Session, actor: Actor, name: str, query: str, *, shared: bool = False) -> SavedView:
    require(actor, "admin" if shared else "agent")
    name = clean_name(name, "name", max_len=60)
    parse_query(query)  # refuse a view that could never run
    owner = None if shared else actor.agent_id
    if _find(session, actor, name, exact_owner=owner):
        raise Conflict(f"a view named {name!r} already exists; remove it first")
    view = SavedView(name=name, query=query.strip(), agent_id=owner, created_at=utcnow())
    session.add(view)
    session.flush()
    return view


def list_views(session: Session, actor: Actor) -> list[SavedView]:
    stmt = select(SavedView).where(or_(SavedView.agent_id.is_(None), SavedView.agent_id == actor.agent_id))
    return list(session.execute(stmt.order_by(SavedView.name)).scalars())


def remove_view(session: Session, actor: Actor, name: str) -> None:
    view = _find(session, actor, name)
    if view is None:
        raise NotFound(f"no view {name!r}")
    require(actor, "admin" if view.agent_id is None else "agent")
    session.delete(view)


def _find(session: Session, actor: Actor, name: str, exact_owner: int | None | str = "any") -> SavedView | None:
    for view in list_views(session, actor):
        if view.name.lower() == name.strip().lower() and (exact_owner == "any" or view.agent_id == exact_owner):
            return view
    return None

