"""The audit trail is append-only in the database too (migration 0013): no DELETE of an
event, on SQLite and PostgreSQL; and the desk still does everything it did (a demo desk
is built (tests/services/desk/test_demo.py), a ticket merged), while the permission matrix
proves no service updates one (test_permissions.py, last test)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from helpdesk.models import Event
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket, merge_tickets


def _count(desk) -> int:
    with desk.read() as s:
        return s.execute(select(func.count()).select_from(Event)).scalar_one()


def test_the_database_refuses_to_delete_an_event(desk, crew):
    one = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="Printer jams", requester="a@example.com")).id)
    two = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="Printer jams again", requester="a@example.com")).id)
    desk.write(lambda s: merge_tickets(s, crew.agent, two, one))  # a merge keeps both tickets' history
    before = _count(desk)
    for where in ("", f" WHERE ticket_id = {two}"):
        with pytest.raises(DatabaseError, match="append-only"):
            desk.write(lambda s, where=where: s.execute(text("DELETE FROM event" + where)))
    assert _count(desk) == before > 0

