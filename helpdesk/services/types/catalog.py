"""The desk's request types (`helpdesk type load|list|show`).

Stored like rules: the TOML is checked whole (helpdesk.request_types, then every
team and approver against this desk, then against the tickets that already hold
values) and kept as JSON in `Setting`. The four built-in types (question,
incident, problem, task) are always there and have no fields or stages."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlmodel import Session

from helpdesk.errors import Invalid, NotFound
from helpdesk.models import Agent, Team, Ticket
from helpdesk.request_types import BUILTIN, RequestType, load_types, parse_types
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.settings import cached, store_loaded

TYPES_KEY = "types.config"


def stored_types(session: Session) -> dict[str, RequestType]:
    """Loaded types by case-folded name, in file order."""
    return cached(session, TYPES_KEY, lambda v: {t.name.casefold(): t for t in parse_types(v)}) or {}


def find_type(session: Session, name: str | None) -> RequestType | None:
    """The loaded type of that name; None for no type or a built-in one."""
    return stored_types(session).get((name or "").strip().casefold())


def canonical_type(session: Session, name: str) -> str:
    """The type's name as the desk spells it, or `Invalid` listing the types there are."""
    wanted = (name or "").strip()
    if wanted.casefold() in BUILTIN:
        return wanted.casefold()
    kind = find_type(session, wanted)
    if kind is None:
        names = [*BUILTIN, *(t.name for t in stored_types(session).values())]
        raise Invalid(f"no type {wanted!r} (types: {', '.join(names)}; helpdesk type list)", field="type")
    return kind.name


def get_type(session: Session, name: str) -> RequestType:
    kind = find_type(session, name)
    if kind is None:
        if (name or "").strip().casefold() in BUILTIN:
            return RequestType(name.strip().casefold())
        raise NotFound(f"no type {name!r} (helpdesk type list)")
    return kind


def load_types_file(session: Session, actor: Actor, text: str, *, source: str | None = None) -> dict:
    """Check and store types TOML (admins only); all or nothing."""
    require(actor, "admin")
    types = load_types(text)
    for kind in types:
        _check_people(session, kind)
    _check_against_tickets(session, stored_types(session), {t.name.casefold(): t for t in types})
    store_loaded(session, actor, TYPES_KEY, {"types": [t.to_dict() for t in types]},
                 f"{len(types)} types", source, lambda old: f"{len(old.get('types', []))} types")
    return {"types": len(types), "fields": sum(len(t.fields) for t in types),
            "stages": sum(len(t.stages) for t in types)}


def _check_people(session: Session, kind: RequestType) -> None:
    for stage in kind.stages:
        where = f"type {kind.name!r}, stage {stage.name!r}"
        if stage.team and team_id(session, stage.team) is None:
            raise Invalid(f"{where}: no team {stage.team!r} (helpdesk team list)")
        for who in stage.approval.approvers if stage.approval else ():
            if team_id(session, who) is None and agent_id(session, who) is None:
                raise Invalid(f"{where}: approver {who!r} is neither an agent nor a team")


def _check_against_tickets(session: Session, old: dict[str, RequestType], new: dict[str, RequestType]) -> None:
    """A type tickets use cannot go, nor can a field's kind change while tickets hold values."""
    for key, before in old.items():
        used = _count(session, Ticket.type == before.name)
        after = new.get(key)
        if after is None:
            if used:
                raise Invalid(f"type {before.name!r} is used by {used} tickets; keep it in the file")
            continue
        for spec in before.fields:
            now = after.field(spec.key)
            if now is None or now.kind == spec.kind:
                continue
            holding = _count(session, Ticket.type == before.name, Ticket.fields[spec.key].as_string().is_not(None))
            if holding:
                raise Invalid(f"type {before.name!r}: field {spec.key!r} is {spec.kind} and {holding} tickets hold "
                              f"values, so it cannot become {now.kind}; add a new field instead")


def _count(session: Session, *conditions) -> int:
    return session.execute(select(func.count()).select_from(Ticket).where(*conditions)).scalar_one()


def team_id(session: Session, name: str) -> int | None:
    return session.execute(select(Team.id).where(func.lower(Team.name) == name.strip().lower())).scalar()


def agent_id(session: Session, who: str) -> int | None:
    key = who.strip().lower()
    return session.execute(select(Agent.id).where(
        Agent.active.is_(True), or_(func.lower(Agent.email) == key, func.lower(Agent.name) == key))).scalar()


def types_as_rows(session: Session) -> list[dict]:
    rows = [{"name": n, "builtin": True, "portal": False, "fields": [], "stages": []} for n in BUILTIN]
    for kind in stored_types(session).values():
        rows.append({"name": kind.name, "builtin": False, "description": kind.description, "portal": kind.portal,
                     "fields": [f.to_dict() for f in kind.fields], "stages": [s.to_dict() for s in kind.stages]})
    return rows
