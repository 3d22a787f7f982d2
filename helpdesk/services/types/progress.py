"""`helpdesk ticket stages N`: where a ticket is in its process and what may happen next."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk.request_types import moves
from helpdesk.services.tickets.lifecycle import get_ticket
from helpdesk.services.types.approvals import approval_view
from helpdesk.services.types.stages import staged


def stages_view(session: Session, ticket_id: int) -> dict:
    """Where the ticket is, who must act, and the moves allowed (`ticket stages N`)."""
    ticket = get_ticket(session, ticket_id)
    kind = staged(session, ticket)
    current = kind.stage(ticket.stage)
    blocked = bool(current and current.approval and ticket.approval != "approved")
    return {
        "ticket": ticket.id, "type": kind.name, "stage": ticket.stage,
        "since": ticket.stage_changed_at.isoformat() if ticket.stage_changed_at else None,
        "stages": [{**s.to_dict(), "current": s.name == ticket.stage} for s in kind.stages],
        "moves": [] if blocked else moves(kind, ticket.stage),
        "approval": approval_view(session, ticket, current) if current and current.approval else None,
        "can_solve": ticket.stage == kind.stages[-1].name,
    }
