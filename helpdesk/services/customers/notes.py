"""Internal notes about a customer (`contact note`, `org note`): by an agent, timestamped,
never shown to the customer."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from helpdesk.errors import Invalid
from helpdesk.models import Agent, CustomerNote, utcnow
from helpdesk.services.core.actors import Actor, require
from helpdesk.services.core.audit import record

BODY_MAX = 10_000
LIMIT = 50


def _clean_body(text: str | None) -> str:
    body = (text or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("must not be empty (use --body TEXT, or --body - to read standard input)", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"is longer than {BODY_MAX} characters", field="body")
    return body


def add_note(session: Session, actor: Actor, body: str, *, contact_id: int | None = None,
             organization_id: int | None = None) -> CustomerNote:
    """An agent's note on a contact or an organization."""
    require(actor, "agent")
    if actor.agent_id is None:
        raise Invalid("a note needs an acting agent (--as EMAIL or HELPDESK_AGENT)", field="agent")
    if (contact_id is None) == (organization_id is None):
        raise ValueError("a note is about one contact or one organization")
    note = CustomerNote(contact_id=contact_id, organization_id=organization_id, agent_id=actor.agent_id,
                        body=_clean_body(body), created_at=utcnow())
    session.add(note)
    session.flush()
    entity, entity_id = ("contact", contact_id) if contact_id is not None else ("organization", organization_id)
    record(session, actor, entity, entity_id, "note", None, f"note {note.id}")
    return note


def notes_about(session: Session, *, contact_id: int | None = None, organization_id: int | None = None,
                limit: int = LIMIT) -> list[dict]:
    """Newest first: {id, author, body, created_at}."""
    col = CustomerNote.contact_id if contact_id is not None else CustomerNote.organization_id
    wanted = contact_id if contact_id is not None else organization_id
    rows = session.execute(select(CustomerNote, Agent.email).join(Agent, Agent.id == CustomerNote.agent_id)
                           .where(col == wanted)
                           .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc()).limit(limit)).all()
    return [{"id": n.id, "author": email, "body": n.body, "created_at": n.created_at.isoformat()} for n, email in rows]
