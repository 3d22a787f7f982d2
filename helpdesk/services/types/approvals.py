"""Approvals on a stage (`helpdesk ticket approve N [--no] [--comment TEXT]`).

The stage names its approvers (agents, or teams that vote as one) and how many
must say yes. Entering the stage asks them (a notification each, and a row in
`ticket_approver` so `approval:pending approver:me` is an indexed lookup); each
vote removes its voter's rows. N yeses approve it and the ticket may move on; one
no declines it and sends it back one stage, the comment in the timeline. The
requester and agents who are not approvers are refused."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlmodel import Session

from helpdesk.errors import Conflict, Forbidden, Invalid
from helpdesk.models import Agent, ApprovalVote, Contact, Ticket, TicketApprover, utcnow
from helpdesk.request_types import Stage, previous
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.types.catalog import find_type, team_id

COMMENT_MAX = 2000


def approve(session: Session, actor: Actor, ticket_id: int, *, approved: bool = True,
            comment: str | None = None, if_version: int | None = None) -> dict:
    """Record the actor's yes or no on the ticket's current stage; returns {field: (old, new)}."""
    from helpdesk.services.tickets.lifecycle import check_version, get_ticket, touch
    from helpdesk.services.types.stages import enter

    require(actor, "agent")
    ticket = get_ticket(session, ticket_id)
    check_version(ticket, if_version, session)
    kind = find_type(session, ticket.type)
    stage = kind.stage(ticket.stage) if kind else None
    if stage is None or stage.approval is None:
        raise Invalid(f"#{ticket.id} is not at a stage that needs approval", field="approval")
    if ticket.approval != "pending":
        raise Conflict(f"#{ticket.id} is already {ticket.approval} at {stage.name!r}")
    voter = _voter(session, actor, ticket, stage)
    if voter in _voters(session, ticket, approved=None):
        raise Conflict(f"{voter} has already voted on #{ticket.id} at {stage.name!r}")
    note = " ".join((comment or "").split())[:COMMENT_MAX] or None
    if not approved and not note:
        raise Invalid("say why with --comment when you decline", field="comment")
    session.add(ApprovalVote(ticket_id=ticket.id, stage=stage.name, voter=voter, agent_id=actor.agent_id,
                             approved=approved, comment=note, at=utcnow()))
    session.execute(delete(TicketApprover).where(TicketApprover.ticket_id == ticket.id, TicketApprover.voter == voter))
    session.flush()
    yes = len(_voters(session, ticket, approved=True))
    why = f"{'approved' if approved else 'declined'} by {voter}" + (f": {note}" if note else "")
    if approved and yes < stage.approval.needed:
        diff = {"approvals": (f"{yes - 1}/{stage.approval.needed}", f"{yes}/{stage.approval.needed}")}
        touch(session, actor, ticket, diff, reason=why)
        return diff
    if approved:
        session.execute(delete(TicketApprover).where(TicketApprover.ticket_id == ticket.id))
        diff = {"approval": ("pending", "approved")}
        ticket.approval = "approved"
        touch(session, actor, ticket, diff, reason=why)
        return diff
    back = kind.stage(previous(kind, stage.name))
    if back is None:  # an approval at the first stage: it stays there, declined
        ticket.approval = "declined"
        diff = {"approval": ("pending", "declined")}
        touch(session, actor, ticket, diff, reason=why)
    else:
        diff = enter(session, actor, ticket, kind, back, reason=why, outcome="declined")
    _tell_owner(session, ticket, why)
    return diff


def _voter(session: Session, actor: Actor, ticket: Ticket, stage: Stage) -> str:
    """Which of the stage's approvers the actor speaks for: themselves, or their team."""
    agent = session.get(Agent, actor.agent_id) if actor.agent_id else None
    requester = session.get(Contact, ticket.requester_id) if ticket.requester_id else None
    if agent and requester and requester.email.lower() == agent.email.lower():
        raise Forbidden(f"{agent.email} asked for #{ticket.id}; the requester cannot approve their own request")
    for who in stage.approval.approvers:
        key = who.lower()
        if agent and key in (agent.email.lower(), agent.name.lower()):
            return agent.email
        if agent and agent.team_id is not None and agent.team_id == team_id(session, who):
            return who
    raise Forbidden(f"only {', '.join(stage.approval.approvers)} approve #{ticket.id} at {stage.name!r}; "
                    f"{actor.email} is not one of them")


def _voters(session: Session, ticket: Ticket, *, approved: bool | None) -> set[str]:
    """Who has voted (yes, no, or either) since the ticket entered its stage."""
    stmt = select(ApprovalVote.voter).where(ApprovalVote.ticket_id == ticket.id, ApprovalVote.stage == ticket.stage,
                                            ApprovalVote.at >= ticket.stage_changed_at)
    if approved is not None:
        stmt = stmt.where(ApprovalVote.approved.is_(approved))
    return set(session.execute(stmt).scalars())


def _tell_owner(session: Session, ticket: Ticket, why: str) -> None:
    from helpdesk.services.core import notifications

    if ticket.assignee_id:
        notifications.notify_many(session, [(ticket.assignee_id, ticket.id, "approval", f"#{ticket.id} {why}")])


def approval_view(session: Session, ticket: Ticket, stage: Stage) -> dict:
    votes = session.execute(select(ApprovalVote).where(
        ApprovalVote.ticket_id == ticket.id, ApprovalVote.stage == ticket.stage,
        ApprovalVote.at >= ticket.stage_changed_at).order_by(ApprovalVote.id)).scalars().all()
    waiting = sorted(set(session.execute(select(TicketApprover.voter).where(
        TicketApprover.ticket_id == ticket.id)).scalars()))
    return {"state": ticket.approval, "needed": stage.approval.needed, "approvers": list(stage.approval.approvers),
            "yes": sum(v.approved for v in votes), "waiting_for": waiting,
            "votes": [{"voter": v.voter, "approved": v.approved, "comment": v.comment, "at": v.at.isoformat()}
                      for v in votes]}


def waiting_count(session: Session, agent: int) -> int:
    return session.execute(select(func.count()).select_from(TicketApprover).where(
        TicketApprover.agent_id == agent)).scalar_one()
