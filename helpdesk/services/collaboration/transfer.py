"""Handing a ticket over: to a team or an agent, always with a reason.

The change goes through `update_ticket` (so rules, routing, SLA and followers see
it as any other), every changed field's event carries the reason (the timeline
shows it), and the new owner — the assignee, or the team's agents — is told why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import Agent, Ticket
from helpdesk.services.collaboration.followers import mark_told
from helpdesk.services.core import notifications
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.people.agents import get_agent, get_team
from helpdesk.services.tickets.lifecycle import UNSET, TicketChanges, get_ticket, update_ticket

REASON_MAX = 1000


def clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").replace("\x00", "").split())
    if not text:
        raise Invalid("a transfer needs a reason (--reason TEXT), shown in the timeline and to the new owner",
                      field="reason")
    if len(text) > REASON_MAX:
        raise Invalid(f"is longer than {REASON_MAX} characters", field="reason")
    return text


def transfer_ticket(session: Session, actor: Actor, ticket_id: int, *, team: str | None = None,
                    assignee: str | None = None, reason: str | None,
                    if_version: int | None = None) -> dict[str, tuple[Any, Any]]:
    """Move the ticket to `team` and/or `assignee`; returns {field: (old, new)}.

    To a team alone: an assignee outside that team lets go of it (the team's routing,
    or its agents, pick it up); one inside keeps it."""
    require(actor, "agent")
    why = clean_reason(reason)
    if not (team or assignee):
        raise Invalid("say where to: --team T or --assignee A", field="team")
    ticket = get_ticket(session, ticket_id)
    changes = TicketChanges(team=team or UNSET, assignee=assignee or UNSET)
    if team and not assignee and ticket.assignee_id is not None:
        holder = session.get(Agent, ticket.assignee_id)
        if holder is None or holder.team_id != get_team(session, team).id:
            changes.assignee = None
    diff = update_ticket(session, actor, ticket.id, changes, if_version=if_version, reason=why)
    if "team" not in diff and "assignee" not in diff:
        where = f"agent {get_agent(session, assignee).email}" if assignee else f"team {get_team(session, team).name}"
        raise Invalid(f"ticket #{ticket.id} is with {where} already; nothing to transfer", field="team")
    _tell_new_owner(session, actor, ticket, diff, why)
    return diff


def _tell_new_owner(session: Session, actor: Actor, ticket: Ticket, diff: dict, why: str) -> None:
    if diff.get("assignee", (None, None))[1]:
        owners = [ticket.assignee_id]
        where = "you"
    elif diff.get("team", (None, None))[1]:
        owners = list(session.execute(select(Agent.id).where(
            Agent.team_id == ticket.team_id, Agent.active.is_(True), Agent.role != "viewer")).scalars())
        where = f"team {diff['team'][1]}"
    else:
        return
    text = f"{actor.name} transferred #{ticket.id} {ticket.subject} to {where}: {why}"
    items = [(agent_id, ticket.id, "transfer", text) for agent_id in owners if agent_id != actor.agent_id]
    for agent_id, *_ in items:
        mark_told(session, ticket.id, agent_id)  # the transfer notice is their news of this change
    notifications.notify_many(session, items)
