"""The append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpdesk.models import Event, utcnow

# an event row as the set-based writers give it to `bulk_sql.insert_rows`
EVENT_COLUMNS = ("ticket_id", "entity", "entity_id", "at", "actor", "field", "old", "new", "reason")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return ", ".join(map(str, value))
    return str(value)


def record(session, actor, entity: str, entity_id: int | None, field: str, old: Any, new: Any,
           reason: str | None = None, at: datetime | None = None) -> Event:
    event = Event(
        ticket_id=entity_id if entity == "ticket" else None,
        entity=entity,
        entity_id=entity_id,
        at=at or utcnow(),
        actor=actor.label if hasattr(actor, "label") else str(actor),
        field=field,
        old=_text(old),
        new=_text(new),
        reason=reason,
    )
    session.add(event)
    return event
