"""SLA clocks as the JSON contract shows them (`sla{policy, first_response, ...}`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.models import SlaClock, Ticket

KINDS = ("first_response", "next_response", "resolution")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def clock_json(clock: SlaClock, now: datetime) -> dict:
    remaining = None
    if clock.due_at is not None and clock.state in ("running", "breached"):
        remaining = int((clock.due_at - now).total_seconds())
    return {"target_seconds": clock.target_seconds, "due_at": _iso(clock.due_at), "state": clock.state,
            "remaining_seconds": remaining, "met_at": _iso(clock.met_at), "breached_at": _iso(clock.breached_at)}


def sla_summaries(session: Session, tickets: list[Ticket], *, now: datetime) -> dict[int, dict]:
    out = {t.id: {"policy": t.sla_policy, **{k: None for k in KINDS}} for t in tickets}
    if not tickets:
        return out
    for clock in session.execute(select(SlaClock).where(SlaClock.ticket_id.in_(list(out)))).scalars():
        out[clock.ticket_id][clock.kind] = clock_json(clock, now)
    return out
