"""A ticket as its request type sees it: the app's ticket pane and its fields editor.

`ticket_form(session, ticket)` is None for a ticket without a loaded type; else the
type's fields in the type's order with the ticket's values (what is required and
missing, what a status will need), the other free fields, and where the ticket is
in the type's process: the stage, its number, the moves allowed and who must
approve. Read only; every change goes through update_ticket, move_stage, approve."""

from __future__ import annotations

from sqlmodel import Session

from helpdesk.models import Ticket
from helpdesk.request_types import moves
from helpdesk.services.types.approvals import approval_view
from helpdesk.services.types.catalog import find_type
from helpdesk.services.types.fields import missing_required


def ticket_form(session: Session, ticket: Ticket) -> dict | None:
    kind = find_type(session, ticket.type)
    if kind is None:
        return None
    values = dict(ticket.fields or {})
    missing = set(missing_required(kind, values, ticket.status))
    fields = [{**spec.to_dict(), "value": values.get(spec.key), "missing": spec.key in missing}
              for spec in kind.fields]
    typed = {spec.key for spec in kind.fields}
    return {
        "type": kind.name, "description": kind.description, "fields": fields,
        "other_fields": {k: v for k, v in sorted(values.items()) if k not in typed},
        "process": _process(session, ticket, kind),
    }


def _process(session: Session, ticket: Ticket, kind) -> dict | None:
    if not kind.stages:
        return None
    names = [s.name for s in kind.stages]
    current = kind.stage(ticket.stage)
    blocked = bool(current and current.approval and ticket.approval != "approved")
    return {
        "stages": names, "stage": current.name if current else None,
        "number": names.index(current.name) + 1 if current else None, "count": len(names),
        "since": ticket.stage_changed_at.isoformat() if ticket.stage_changed_at else None,
        "moves": [] if blocked else moves(kind, ticket.stage),
        "next": names[names.index(current.name) + 1] if current and current.name != names[-1] else None,
        "team": current.team if current else None,
        "approval": approval_view(session, ticket, current) if current and current.approval else None,
        "outcome": ticket.approval,  # "declined" after a no sent it back to a stage without an approval
    }
