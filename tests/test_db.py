"""Desk.write under races: what a concurrent writer did first is found on a retry,
never shown to the user as an error (found by bench/stress.py on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import helpdesk.db as db
from helpdesk.models import Contact, Ticket, utcnow
from helpdesk.services.people import contacts
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket


def test_two_tickets_from_one_new_requester_at_once_both_succeed(desk, crew, monkeypatch):
    """Process A creates a ticket from a new requester; process B, at the same moment, one
    from the same requester: B looked for the contact before A committed it, so B's insert
    meets A's row. B must be run again (and find the contact), not fail with a unique key error."""
    if desk.backend == "sqlite":
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE: B cannot look before A commits")
    real_find = contacts.find_contact
    looks = {"n": 0}

    def find_before_a_commits(session, email):
        looks["n"] += 1
        if looks["n"] == 1:  # B's first look: A has not committed yet, then A does
            monkeypatch.setattr(contacts, "find_contact", real_find)
            desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="A", requester="new@x.test")))
            monkeypatch.setattr(contacts, "find_contact", find_before_a_commits)
            return None
        if looks["n"] == 2:  # add_contact's own check, in B's same snapshot moment
            return None
        return real_find(session, email)

    monkeypatch.setattr(contacts, "find_contact", find_before_a_commits)
    before = db.busy_retries
    b = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="B", requester="new@x.test")))
    with desk.read() as s:
        assert s.execute(select(func.count()).select_from(Contact).where(Contact.email == "new@x.test")).scalar() == 1
        assert sorted(s.execute(select(Ticket.subject)).scalars()) == ["A", "B"]
        assert s.get(Ticket, b.id).requester_id is not None
    assert db.busy_retries == before + 1


def test_a_real_duplicate_is_still_refused_after_the_retries(desk, crew):
    """A unique key that stays taken is an error after the retries, not a loop."""
    if desk.backend == "sqlite":
        pytest.skip("the retry on a taken key is PostgreSQL's")
    desk.write(lambda s: s.add(Contact(email="dup@x.test", name="Dup", created_at=utcnow())))
    with pytest.raises(IntegrityError):
        desk.write(lambda s: (s.add(Contact(email="dup@x.test", name="Again", created_at=utcnow())), s.flush()))


def _stale_write(desk, crew, ticket_id: int, changes, **kw):
    """A write that read the ticket, then another writer committed a change to it, then it writes."""
    from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket

    attempts = []

    def write(s):
        read = s.get(Ticket, ticket_id)  # read: version as it was (held, as a screen or a script holds it)
        if not attempts:
            desk.write(lambda o: update_ticket(o, crew.agent, ticket_id, TicketChanges(priority="urgent")))
        attempts.append(read.version)
        return update_ticket(s, crew.agent, ticket_id, changes, **kw)

    return write, attempts


def test_an_if_version_update_that_lost_the_race_is_a_conflict_not_a_lost_update(desk, crew):
    """Two scripts read version 1 and update with --if-version 1 at once: exactly one wins."""
    from helpdesk.errors import Conflict
    from helpdesk.services.tickets.lifecycle import TicketChanges

    if desk.backend == "sqlite":
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE: the second reads the first's version")
    n, read = desk.write(lambda s: (lambda t: (t.id, t.version))(create_ticket(s, crew.agent, NewTicket(subject="race"))))
    write, attempts = _stale_write(desk, crew, n, TicketChanges(status="pending"), if_version=read)
    with pytest.raises(Conflict, match=f"changed since version {read}"):
        desk.write(write)
    assert len(attempts) == 2  # run again from the start, where the version check refuses it
    with desk.read() as s:
        t = s.get(Ticket, n)
        assert (t.version, t.priority, t.status) == (read + 1, "urgent", "new")


def test_two_updates_from_one_read_both_land_with_their_own_versions(desk, crew):
    from helpdesk.services.tickets.lifecycle import TicketChanges

    if desk.backend == "sqlite":
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE")
    n, read = desk.write(lambda s: (lambda t: (t.id, t.version))(create_ticket(s, crew.agent, NewTicket(subject="race"))))
    write, attempts = _stale_write(desk, crew, n, TicketChanges(status="pending"))
    desk.write(write)
    assert len(attempts) == 2
    with desk.read() as s:
        t = s.get(Ticket, n)
        assert (t.version, t.priority, t.status) == (read + 2, "urgent", "pending")
