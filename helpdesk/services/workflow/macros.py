"""Applying a macro: its reply or note with the placeholders filled in, and its field
changes, in one transaction; every event it makes says `macro NAME`."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk.macros import Macro, first_name, render
from helpdesk.models import Agent, Contact, Team
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.workflow.stored import find_macro


def placeholder_values(session: Session, ticket, actor: Actor) -> dict[str, str | None]:
    requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    agent = session.get(Agent, actor.agent_id) if actor.agent_id else None
    team = session.get(Team, ticket.team_id) if ticket.team_id else None
    agent_name = agent.name if agent else (actor.name if actor.agent_id else None)
    values = {
        "ticket.id": str(ticket.id), "ticket.subject": ticket.subject, "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "requester.name": requester.name if requester else None,
        "requester.first_name": first_name(requester.name) if requester else None,
        "requester.email": requester.email if requester else None,
        "agent.name": agent_name, "agent.first_name": first_name(agent_name),
        "team.name": team.name if team else None,
    }
    values.update({f"ticket.field.{k}": v for k, v in (ticket.fields or {}).items()})
    return values


def macro_text(session: Session, actor: Actor, ticket, macro: Macro) -> str:
    return render(macro.text, placeholder_values(session, ticket, actor)) if macro.kind else ""


def apply_macro(session: Session, actor: Actor, ticket_id: int, name: str | Macro, *,
                if_version: int | None = None, reason: str | None = None) -> dict:
    """Post the macro's message and make its changes. Returns {macro, message, changed}."""
    from helpdesk.services.tickets.conversation import add_agent_message
    from helpdesk.services.tickets.lifecycle import UNSET, TicketChanges, check_version, get_ticket, update_ticket

    require(actor, "agent")
    macro = name if isinstance(name, Macro) else find_macro(session, name)
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    why = reason or f"macro {macro.name}"
    changed: dict = {}
    message, status_before = None, ticket.status
    if macro.kind:
        text = macro_text(session, actor, ticket, macro)
        if text.strip():
            message = add_agent_message(session, actor, ticket.id, text, kind=macro.kind, reason=why)
            changed[macro.kind] = (None, message.id)
    sets = macro.changes.sets
    changes = TicketChanges(
        status=sets.get("status", UNSET), priority=sets.get("priority", UNSET), type=sets.get("type", UNSET),
        team=sets.get("team", UNSET), assignee=sets.get("assignee", UNSET),
        add_tags=list(macro.changes.add_tags), remove_tags=list(macro.changes.remove_tags))
    if not changes.is_empty():
        changed.update(update_ticket(session, actor, ticket.id, changes, reason=why))
    # a reply moves a new ticket to open first: say the status's net change
    changed.pop("status", None)
    if ticket.status != status_before:
        changed["status"] = (status_before, ticket.status)
    return {"macro": macro.name, "ticket": ticket.id, "message": message.id if message else None,
            "kind": macro.kind, "changed": changed}


def preview_macro(session: Session, actor: Actor, ticket_id: int, name: str) -> dict:
    """What `apply_macro` would post and change; call inside a transaction that is
    rolled back (`Desk.rehearse`): it applies the macro to see the exact result."""
    from helpdesk.services.tickets.lifecycle import get_ticket

    macro = find_macro(session, name)
    text = macro_text(session, actor, get_ticket(session, ticket_id), macro)
    result = apply_macro(session, actor, ticket_id, macro)
    result["text"] = text
    result["changed"] = {k: v for k, v in result["changed"].items() if k not in ("reply", "note", "first_response_at")}
    return result


def apply_macro_many(session: Session, actor: Actor, ids: list[int], name: str,
                     versions: dict[int, int] | None = None):
    """The same macro on several tickets in one transaction (the app's marked rows).

    Each ticket gets its own filled-in text. A ticket closed or changed meanwhile is
    skipped with the reason, as in `ticket bulk`; the others are applied."""
    from helpdesk.errors import Conflict
    from helpdesk.services.tickets.bulk import BulkResult

    require(actor, "agent")
    macro = find_macro(session, name)
    result = BulkResult()
    for tid in ids:
        try:
            with session.begin_nested():
                changed = apply_macro(session, actor, tid, macro, if_version=(versions or {}).get(tid))["changed"]
        except Conflict as exc:
            result.skipped[tid] = exc.message
            continue
        (result.changed.__setitem__(tid, changed) if changed else result.unchanged.append(tid))
    return result


def macro_choices(session: Session) -> list[tuple[str, str]]:
    """(name, what it does) for pickers: 'reply · status=pending, +tag waiting'."""
    from helpdesk.services.workflow.stored import stored_macros

    def what(m) -> str:
        changes = m.changes.describe()
        return " · ".join(p for p in (m.kind, "" if changes == "nothing" else changes) if p)

    return [(m.name, what(m)) for m in stored_macros(session).values()]
