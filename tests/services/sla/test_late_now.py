"""A recompute never forgets what happened after the caller's `now` was read.

Callers take `now` before their transaction (the worker's sweep, `mail ingest`); under
contention the transaction may begin later, after other writers committed replies, and
its own changes are stamped later still. The clocks recomputed on the way out must count
all of it (found by bench/stress.py: a customer's mail that started no next-response
clock, an agent's reply that the sweep's recompute undid)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import time_machine
from sqlalchemy import select

from helpdesk.models import SlaClock
from helpdesk.services.mail.intake import ingest_all
from helpdesk.services.sla import escalations
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket

T = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
SLA = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "all"
match = ""
calendar = "always"
first_response = "10m"
next_response = "10m"
resolution = "31m"
on_breach = { set_priority = "high" }
"""


def clock(desk, tid: int, kind: str) -> SlaClock:
    with desk.read() as s:
        return s.execute(select(SlaClock).where(SlaClock.ticket_id == tid, SlaClock.kind == kind)).scalar_one()


def answered_ticket(desk, crew) -> int:
    desk.write(lambda s: load_policies(s, crew.admin, SLA))
    with time_machine.travel(T, tick=False):
        tid = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(
            subject="VPN down", body="help", requester="alice@example.com")).id)
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        desk.write(lambda s: add_agent_message(s, crew.agent, tid, "On it."))
    return tid


def test_a_mail_reply_starts_the_next_response_clock_when_the_batch_began_earlier(desk, crew):
    tid = answered_ticket(desk, crew)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@example.com", "desk@example.com", f"Re: [#{tid}] VPN down"
    mail["Message-ID"] = "<late-1@example.com>"
    mail.set_content("Still down.")
    with time_machine.travel(T + timedelta(minutes=5), tick=False):  # the batch's now is a minute old
        [result] = ingest_all(desk, [bytes(mail)], now=T + timedelta(minutes=4))
    assert result.action == "appended"
    row = clock(desk, tid, "next_response")
    assert (row.state, row.started_at, row.due_at) == ("running", T + timedelta(minutes=5), T + timedelta(minutes=15))


def test_the_sweeps_recompute_keeps_a_reply_committed_after_its_now(desk, crew):
    tid = answered_ticket(desk, crew)
    with time_machine.travel(T + timedelta(minutes=20), tick=False):  # the customer writes: next response due at 10:30
        from helpdesk.services.tickets.conversation import add_customer_message

        desk.write(lambda s: add_customer_message(s, crew.agent, tid, None, "Still down."))
    due = T + timedelta(minutes=31)  # the resolution's breach, which sets the priority
    with time_machine.travel(due + timedelta(seconds=30), tick=False):  # the agent answers, late
        desk.write(lambda s: add_agent_message(s, crew.agent, tid, "Fixed now."))
    # the worker read now just after the due second, and its write began after the reply committed
    with time_machine.travel(due + timedelta(seconds=40), tick=False):
        result = desk.write(lambda s: escalations.sweep(s, now=due + timedelta(seconds=1)))
    assert result.breaches == 1
    row = clock(desk, tid, "next_response")
    assert row.met_at == due + timedelta(seconds=30)


def test_the_sweep_holds_the_tickets_it_acts_on(desk, crew):
    """PostgreSQL: another writer waits for the sweep instead of making its changes stale."""
    import pytest
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    if desk.backend == "sqlite":
        pytest.skip("SQLite's write transaction holds the whole database")
    tid = answered_ticket(desk, crew)
    session, due = desk.begin(lambda s: escalations._load(s, [tid], None))
    other = create_engine(desk.url)
    try:
        with other.connect() as conn, pytest.raises(OperationalError, match="could not obtain lock"):
            conn.execute(text("SELECT id FROM ticket WHERE id = :t FOR UPDATE NOWAIT"), {"t": tid})
    finally:
        session.close()
        other.dispose()
    assert [d.ticket.id for d in due] == [tid]
