"""Stages: where a ticket is in its type's process (`ticket stage N STAGE`, `ticket stages N`).

A ticket of a type with stages starts in the first one and moves to the next or the
previous one (or where the stage's `moves` say). Moving into a stage that names a
team is for that team's members, and gives the ticket to the team. A stage with an
approval cannot be left until its approvers have said yes (services/types/approvals).
The ticket cannot be solved or closed before its last stage. Entering and leaving
are events (`stage`), so triggers see them (`changed = { stage = "..." }`)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from helpdesk.errors import Conflict, Forbidden, Invalid
from helpdesk.models import Agent, Ticket, TicketApprover, utcnow
from helpdesk.request_types import RequestType, Stage, moves
from helpdesk.services.core import bus
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.types.catalog import agent_id, find_type, team_id

DONE = ("solved", "closed")


def move_stage(session: Session, actor: Actor, ticket_id: int, target: str, *,
               if_version: int | None = None, reason: str | None = None) -> dict:
    """Move the ticket to another stage of its type; returns {field: (old, new)}."""
    from helpdesk.services.tickets.lifecycle import check_version, get_ticket

    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    kind = staged(session, ticket)
    stage = kind.stage(target)
    if stage is None:
        raise Invalid(f"type {kind.name!r} has no stage {target!r} (stages: {', '.join(s.name for s in kind.stages)})",
                      field="stage")
    if stage.name == ticket.stage:
        return {}
    if ticket.status == "closed":
        raise Conflict(f"ticket #{ticket.id} is closed; reopen it first")
    allowed = moves(kind, ticket.stage)
    if stage.name not in allowed:
        raise Invalid(f"#{ticket.id} is at {ticket.stage!r}; from there it moves to {', '.join(allowed) or 'nowhere'}",
                      field="stage")
    current = kind.stage(ticket.stage)
    if current and current.approval and ticket.approval != "approved":
        raise Conflict(f"#{ticket.id} cannot leave {current.name!r} before it is approved "
                       f"(helpdesk ticket stages {ticket.id} shows who must approve)")
    _check_team(session, actor, stage)
    return enter(session, actor, ticket, kind, stage, reason=reason)


def enter(session: Session, actor: Actor, ticket: Ticket, kind: RequestType, stage: Stage, *,
          reason: str | None = None, outcome: str | None = None) -> dict:
    """Put the ticket in `stage` (no checks: callers have made them), with its team and approvers.
    `outcome`: the approval state it keeps in a stage without one (declined, when sent back)."""
    from helpdesk.services.tickets.lifecycle import TicketChanges, touch, update_ticket

    diff = {"stage": (ticket.stage, stage.name)}
    ticket.stage, ticket.stage_changed_at = stage.name, utcnow()
    session.execute(delete(TicketApprover).where(TicketApprover.ticket_id == ticket.id))
    old_approval = ticket.approval
    ticket.approval = "pending" if stage.approval else outcome
    if stage.approval:
        _ask_approvers(session, ticket, stage)
    if ticket.approval != old_approval:
        diff["approval"] = (old_approval, ticket.approval)
    touch(session, actor, ticket, diff, reason=reason)
    if stage.team and ticket.team_id != team_id(session, stage.team):
        diff.update(update_ticket(session, actor, ticket.id, TicketChanges(team=stage.team),
                                  reason=f"stage {stage.name}"))
    return diff


def _ask_approvers(session: Session, ticket: Ticket, stage: Stage) -> None:
    from helpdesk.services.core import notifications

    rows: dict[int, str] = {}
    for voter in stage.approval.approvers:
        team = team_id(session, voter)
        members = (session.execute(select(Agent.id).where(Agent.team_id == team, Agent.active.is_(True))).scalars()
                   if team is not None else [agent_id(session, voter)])
        for member in members:
            if member is not None:
                rows.setdefault(member, voter)
    session.add_all([TicketApprover(ticket_id=ticket.id, agent_id=a, voter=v) for a, v in rows.items()])
    session.flush()
    text = f"#{ticket.id} {ticket.subject}: your approval is needed at {stage.name}"
    notifications.notify_many(session, [(a, ticket.id, "approval", text) for a in sorted(rows)])


def _check_team(session: Session, actor: Actor, stage: Stage) -> None:
    if not stage.team or actor.agent_id is None:  # rules and the worker act for the desk
        return
    agent = session.get(Agent, actor.agent_id)
    if agent is None or agent.team_id != team_id(session, stage.team):
        raise Forbidden(f"only team {stage.team} moves tickets into {stage.name!r}; {actor.email} is not in it")


def staged(session: Session, ticket: Ticket) -> RequestType:
    kind = find_type(session, ticket.type)
    if kind is None or not kind.stages:
        raise Invalid(f"#{ticket.id} is of type {ticket.type or 'none'}, which has no stages "
                      "(helpdesk type list shows the types that do)", field="stage")
    return kind


# -- keeping tickets in step with their type --------------------------------------

@bus.subscribe("ticket.created")
def on_created(session: Session, event: bus.DomainEvent) -> None:
    ticket = session.get(Ticket, event.ticket_id)
    kind = find_type(session, ticket.type)
    if kind and kind.stages:
        _start(session, event.actor, ticket, kind)


@bus.subscribe("tickets.created")
def on_many_created(session: Session, event: bus.DomainEvent) -> None:
    """Tickets made from JSON Lines start their type's process as one made alone does, unless
    they arrive solved or closed (history). An import starts none (docs/types.md)."""
    from helpdesk.services.types.catalog import stored_types

    staged_types = {key: kind for key, kind in stored_types(session).items() if kind.stages}
    ids = list(event.data.get("ids") or ())
    if not staged_types or not ids:
        return
    names = [kind.name for kind in staged_types.values()]
    for start in range(0, len(ids), 500):
        for ticket in session.execute(select(Ticket).where(Ticket.id.in_(ids[start:start + 500]),
                                                           Ticket.type.in_(names), Ticket.stage.is_(None),
                                                           Ticket.status.not_in(DONE))).scalars():
            _start(session, event.actor, ticket, staged_types[ticket.type.casefold()])


@bus.subscribe("ticket.updated")
def on_updated(session: Session, event: bus.DomainEvent) -> None:
    changes = event.changes or {}
    if "type" not in changes and "status" not in changes:
        return
    ticket = session.get(Ticket, event.ticket_id)
    kind = find_type(session, ticket.type)
    if "type" in changes:
        if kind and kind.stages:
            _start(session, event.actor, ticket, kind)
        elif ticket.stage is not None:
            _leave_process(session, event.actor, ticket)
    if "status" in changes and ticket.status in DONE and kind and kind.stages \
            and ticket.stage != kind.stages[-1].name:
        raise Conflict(f"#{ticket.id} is at stage {ticket.stage!r}; it can be {ticket.status} from its last stage, "
                       f"{kind.stages[-1].name!r} (helpdesk ticket stages {ticket.id})")


def _start(session: Session, actor: Actor, ticket: Ticket, kind: RequestType) -> None:
    enter(session, actor, ticket, kind, kind.stages[0], reason=f"type {kind.name}")


def _leave_process(session: Session, actor: Actor, ticket: Ticket) -> None:
    from helpdesk.services.tickets.lifecycle import touch

    session.execute(delete(TicketApprover).where(TicketApprover.ticket_id == ticket.id))
    diff = {"stage": (ticket.stage, None)}
    if ticket.approval:
        diff["approval"] = (ticket.approval, None)
    ticket.stage = ticket.approval = ticket.stage_changed_at = None
    touch(session, actor, ticket, diff, reason="its type has no stages")
