"""Changing many tickets at once: `ticket bulk QUERY --set ...` and the TUI's marked rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.errors import Conflict, Invalid
from helpdesk.models import Ticket
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.tickets.lifecycle import (
    UNSET,
    TicketChanges,
    close_ticket,
    update_ticket,
)
from helpdesk.services.tickets.listing import condition

SETTABLE = ("status", "priority", "type", "assignee", "team", "add-tag", "remove-tag", "field.KEY")


def parse_assignments(items: list[str]) -> TicketChanges:
    """`--set status=solved --set add-tag=vip --set field.serial=X` -> TicketChanges."""
    ch = TicketChanges()
    if not items:
        raise Invalid("nothing to set (use --set FIELD=VALUE)", field="set")
    for item in items:
        if "=" not in item:
            raise Invalid(f"{item!r} should be FIELD=VALUE", field="set")
        key, value = (p.strip() for p in item.split("=", 1))
        key = key.lower().replace("_", "-")
        none = value.lower() in ("", "none")
        if key in ("status", "priority", "subject"):
            setattr(ch, key, value)
        elif key in ("type", "assignee", "team"):
            setattr(ch, key, None if none else value)
        elif key in ("add-tag", "tag", "tags"):
            ch.add_tags.extend(value.replace(",", " ").split())
        elif key == "remove-tag":
            ch.remove_tags.extend(value.replace(",", " ").split())
        elif key.startswith("field."):
            ch.fields[key.split(".", 1)[1]] = None if value == "" else value
        else:
            raise Invalid(f"cannot set {key!r} (settable: {', '.join(SETTABLE)})", field="set")
    return ch


@dataclass
class BulkResult:
    changed: dict[int, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    unchanged: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # ticket -> why


def matching_ids(session: Session, actor: Actor, query: str, limit: int | None = None) -> list[int]:
    stmt = select(Ticket.id).where(condition(session, actor, query)).order_by(Ticket.id)
    return list(session.execute(stmt.limit(limit) if limit else stmt).scalars())


def update_many(session: Session, actor: Actor, ids: list[int], changes: TicketChanges,
                versions: dict[int, int] | None = None) -> BulkResult:
    """Apply the same change to every ticket; closed or changed-meanwhile tickets are skipped, not fatal."""
    require(actor, "agent")
    result = BulkResult()
    close_only = changes.status == "closed" and _only_status(changes)
    for tid in ids:
        version = (versions or {}).get(tid)
        try:
            with session.begin_nested():
                if close_only:
                    diff = close_ticket(session, actor, tid, if_version=version)
                else:
                    diff = update_ticket(session, actor, tid, changes, if_version=version, reason="bulk")
        except Conflict as exc:
            result.skipped[tid] = exc.message
            continue
        (result.changed.__setitem__(tid, diff) if diff else result.unchanged.append(tid))
    return result


def _only_status(ch: TicketChanges) -> bool:
    return all(getattr(ch, f) is UNSET for f in ("subject", "priority", "type", "assignee", "team")) \
        and not (ch.add_tags or ch.remove_tags or ch.fields)
