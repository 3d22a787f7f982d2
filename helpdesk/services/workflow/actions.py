"""A rule's actions on one ticket, shared by triggers and automations.

Every firing is an event naming the rule (actor `rule:NAME`). An action that cannot
be done for this ticket (a closed ticket, an agent since removed) is recorded as a
warning event on the ticket and rolled back to a savepoint: it never undoes the
change that fired the rule."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlmodel import Session

from helpdesk.errors import HelpdeskError
from helpdesk.models import Agent, Ticket
from helpdesk.rules import Actions
from helpdesk.services.core import notifications
from helpdesk.services.core.actors import Actor
from helpdesk.services.core.audit import record


def rule_actor(name: str) -> Actor:
    return Actor(None, f"rule:{name}", name, "admin")


def fire(session: Session, ticket_id: int, rule_name: str, actions: Actions, *, kind: str = "trigger") -> dict | None:
    """Apply `actions`; returns what changed, or None when an action failed (warned)."""
    actor = rule_actor(rule_name)
    savepoint = session.begin_nested()
    try:
        changed = _apply(session, actor, ticket_id, rule_name, actions)
        record(session, actor, "ticket", ticket_id, "rule", None, f"{kind} {rule_name}",
               reason=", ".join(sorted(changed)) or "no change")
        savepoint.commit()
        return changed
    except HelpdeskError as exc:
        savepoint.rollback()
        record(session, actor, "ticket", ticket_id, "rule_warning", None, f"{kind} {rule_name}", reason=exc.message)
        return None


def _apply(session: Session, actor: Actor, ticket_id: int, rule_name: str, actions: Actions) -> dict:
    from helpdesk.services.tickets.lifecycle import UNSET, TicketChanges, update_ticket
    from helpdesk.services.workflow.macros import apply_macro

    reason = f"rule {rule_name}"
    sets = actions.sets
    changes = TicketChanges(
        status=sets.get("status", UNSET), priority=sets.get("priority", UNSET), type=sets.get("type", UNSET),
        team=sets.get("team", UNSET), assignee=sets.get("assignee", UNSET),
        add_tags=list(actions.add_tags), remove_tags=list(actions.remove_tags), fields=dict(actions.fields))
    changed: dict = {}
    if actions.skills:
        changed.update(require_skills(session, actor, ticket_id, actions.skills, reason=reason))
    if not changes.is_empty():
        changed.update(update_ticket(session, actor, ticket_id, changes, reason=reason))
    if actions.macro:
        changed.update(apply_macro(session, actor, ticket_id, actions.macro, reason=f"{reason}: macro {actions.macro}")["changed"])
    if actions.notify:
        notify(session, ticket_id, actions.notify, f"rule {rule_name}")
    return changed


def require_skills(session: Session, actor: Actor, ticket_id: int, skills, *, reason: str | None = None) -> dict:
    """Add skills the ticket's agent must hold; recorded, and routing sees them."""
    from helpdesk.services.tickets.lifecycle import get_ticket, touch
    from helpdesk.services.tickets.skills import change_skills

    ticket = get_ticket(session, ticket_id)
    changed = change_skills(session, ticket_id, skills)
    if not changed:
        return {}
    diff = {"skills": changed}
    touch(session, actor, ticket, diff, reason=reason)
    return diff


def notify(session: Session, ticket_id: int, whom, why: str) -> int:
    """Notify the ticket's assignee, its team's agents, or named agents."""
    ticket = session.get(Ticket, ticket_id)
    ids: set[int] = set()
    for who in whom:
        if who == "assignee":
            ids |= {ticket.assignee_id} if ticket.assignee_id else set()
        elif who == "team":
            if ticket.team_id:
                ids |= set(session.execute(select(Agent.id).where(Agent.team_id == ticket.team_id,
                                                                  Agent.active.is_(True))).scalars())
        else:
            key = who.lower()
            found = session.execute(select(Agent.id).where(
                or_(func.lower(Agent.email) == key, func.lower(Agent.name) == key))).scalar()
            if found is None:
                raise _gone(who)
            ids.add(found)
    text = f"#{ticket.id} {ticket.subject} ({why})"
    return notifications.notify_many(session, [(i, ticket.id, "rule", text) for i in sorted(ids)])


def _gone(who: str) -> HelpdeskError:
    from helpdesk.errors import NotFound

    return NotFound(f"no agent {who!r} to notify")
