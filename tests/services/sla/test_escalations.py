"""The SLA sweep: warnings and breaches fire exactly once, act, and are recorded."""

from __future__ import annotations

import time_machine
from sqlalchemy import select
from sla_support import M, sla_desk, utc  # noqa: F401  (sla_desk is a fixture)

from helpdesk.db import open_desk
from helpdesk.models import SlaClock, Ticket
from helpdesk.services.sla import escalations
from helpdesk.services.tickets import lifecycle as tickets


def vip_ticket(sla_desk) -> int:
    """VIP: always-on calendar, first response 30m, resolution 2h, warnings at 50%."""
    return sla_desk.create(utc(2026, 1, 5, 10), requester="vip@acme.example")


def test_warning_fires_once_notifies_assignee_and_team_and_is_recorded(sla_desk):
    tid = vip_ticket(sla_desk)
    assert sla_desk.ticket(tid).sla_check_at == utc(2026, 1, 5, 10, 15)  # first response warning
    result = sla_desk.sweep(utc(2026, 1, 5, 10, 15))
    assert (result.tickets, result.warnings, result.breaches) == (1, 1, 0)
    assert result.fired == [(tid, "first_response", "warning")]
    assert sla_desk.events(tid) == [("sla.warning", None, "first response due at 2026-01-05T10:30:00+00:00")]
    for who in (sla_desk.agent, sla_desk.mate):  # the assignee and the rest of the team, once each
        notes = sla_desk.notes_of(who)
        assert [(n.kind, n.ticket_id) for n in notes] == [("sla.warning", tid)]
        assert "first response due 2026-01-05 10:30 UTC (VIP)" in notes[0].text
    assert sla_desk.row(tid, "first_response").warned_at == utc(2026, 1, 5, 10, 15)
    assert sla_desk.ticket(tid).sla_check_at == utc(2026, 1, 5, 10, 30)  # next: the breach
    again = sla_desk.sweep(utc(2026, 1, 5, 10, 20))
    assert (again.tickets, again.warnings) == (0, 0)


def test_breach_actions_reassign_set_priority_tag_and_notify(sla_desk):
    tid = vip_ticket(sla_desk)
    sla_desk.sweep(utc(2026, 1, 5, 10, 15))
    before = sla_desk.ticket(tid).version
    result = sla_desk.sweep(utc(2026, 1, 5, 10, 30))
    assert result.fired == [(tid, "first_response", "breach")]
    ticket = sla_desk.ticket(tid)
    assert (ticket.priority, ticket.assignee_id, ticket.sla_state) == ("urgent", sla_desk.lead.agent_id, "breached")
    assert ticket.version == before + 1  # the actions are one real change of the ticket
    with sla_desk.desk.read() as s:
        assert tickets.tags_of(s, tid) == ["sla-breached"]
    assert [n.kind for n in sla_desk.notes_of(sla_desk.lead)] == ["sla.breached"]
    fields = [f for f, _, _ in sla_desk.events(tid, prefix="")]
    assert "sla.breached" in fields and {"priority", "assignee", "tags"} <= set(fields)
    assert sla_desk.ticket(tid).sla_policy == "VIP"  # still VIP: no policy change, no recompute event


def test_a_warning_missed_by_the_sweep_is_skipped_when_the_breach_comes_first(sla_desk):
    tid = vip_ticket(sla_desk)
    result = sla_desk.sweep(utc(2026, 1, 5, 10, 40))  # the worker was down through the warning
    assert (result.warnings, result.breaches) == (0, 1)
    row = sla_desk.row(tid, "first_response")
    assert row.warned_at is not None and row.breach_fired_at == utc(2026, 1, 5, 10, 40)
    assert [n.kind for n in sla_desk.notes_of(sla_desk.agent)] == []


def test_met_clocks_do_not_fire(sla_desk):
    tid = vip_ticket(sla_desk)
    sla_desk.reply(utc(2026, 1, 5, 10, 5), tid)
    sla_desk.status(utc(2026, 1, 5, 10, 6), tid, "solved")
    assert sla_desk.ticket(tid).sla_check_at is None
    assert sla_desk.sweep(utc(2026, 1, 5, 13)).tickets == 0


def test_a_second_process_cannot_fire_the_same_clock(sla_desk):
    tid = vip_ticket(sla_desk)
    other = open_desk(sla_desk.path)  # another process's engine on the same database
    try:
        with time_machine.travel(utc(2026, 1, 5, 10, 16), tick=False):
            def race(session):
                row = session.get(SlaClock, (tid, "first_response"))
                mine = escalations.claim(session, row, "warned_at", utc(2026, 1, 5, 10, 16))
                return mine, escalations.claim(session, row, "warned_at", utc(2026, 1, 5, 10, 16))

            assert other.write(race) == (True, False)
            assert sla_desk.sweep(utc(2026, 1, 5, 10, 16)).warnings == 0  # the other one already did
    finally:
        other.close()
    assert [n.kind for n in sla_desk.notes_of(sla_desk.agent)] == []


def test_the_sweep_reads_only_due_tickets(sla_desk):
    due = vip_ticket(sla_desk)
    for _ in range(3):
        sla_desk.create(utc(2026, 1, 5, 10))  # office hours: far from any warning
    result = sla_desk.sweep(utc(2026, 1, 5, 10, 15))
    assert (result.tickets, result.fired) == (1, [(due, "first_response", "warning")])


def test_batches_report_more_and_the_job_drains_them(sla_desk):
    from helpdesk import scheduler

    ids = [sla_desk.create(utc(2026, 1, 5, 10), priority="urgent") for _ in range(3)]
    first = sla_desk.at(utc(2026, 1, 5, 10, 45), lambda s: escalations.sweep(s, now=utc(2026, 1, 5, 10, 45), limit=2))
    assert (first.tickets, first.more) == (2, True)
    with time_machine.travel(utc(2026, 1, 5, 10, 45), tick=False):
        assert scheduler.sla_sweep(sla_desk.desk) == {"tickets": 1, "warnings": 1, "breaches": 0}
    assert all(sla_desk.row(t, "first_response").warned_at for t in ids)


def test_a_failing_action_is_recorded_and_the_sweep_goes_on(sla_desk):
    from helpdesk.models import Agent

    tid = vip_ticket(sla_desk)
    plain = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")

    def retire_lead(s):
        s.get(Agent, sla_desk.lead.agent_id).active = False

    sla_desk.at(utc(2026, 1, 5, 10, 1), retire_lead)
    result = sla_desk.sweep(utc(2026, 1, 5, 11))
    assert {(t, what) for t, _, what in result.fired} >= {(tid, "breach"), (plain, "breach")}
    failures = [new for field, _, new in sla_desk.events(tid) if field == "sla.action_failed"]
    assert any("no active agent 'lead@example.com'" in f for f in failures)
    assert any("could not change the ticket" in f and "deactivated" in f for f in failures)
    with sla_desk.desk.read() as s:
        assert tickets.tags_of(s, plain) == ["late"]  # the other ticket's breach action still ran
        assert s.get(Ticket, tid).priority == "normal"  # the failed change left the ticket alone


def test_a_new_wait_for_a_reply_can_warn_again(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")  # next_response 1h
    sla_desk.reply(utc(2026, 1, 5, 10, 5), tid)
    sla_desk.customer(utc(2026, 1, 5, 11), tid)
    assert sla_desk.sweep(utc(2026, 1, 5, 11, 45)).fired == [(tid, "next_response", "warning")]
    sla_desk.reply(utc(2026, 1, 5, 11, 50), tid)
    sla_desk.customer(utc(2026, 1, 5, 12), tid)
    assert sla_desk.row(tid, "next_response").warned_at is None  # a new clock
    assert sla_desk.sweep(utc(2026, 1, 5, 12, 45)).fired == [(tid, "next_response", "warning")]


def test_check_at_index_drives_the_sweep_query(sla_desk):
    with sla_desk.desk.read() as s:
        plan = s.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM ticket WHERE sla_check_at <= ? ORDER BY sla_check_at, id LIMIT 500",
            ("2026-01-05 10:00:00",)).all()
    assert any("ix_ticket_sla_check" in str(row) for row in plan)


def test_sweep_ignores_tickets_without_pending_instants(sla_desk):
    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    with sla_desk.desk.read() as s:
        pending = s.execute(select(Ticket.id).where(Ticket.sla_check_at.is_not(None))).scalars().all()
    assert pending == [tid]
    sla_desk.status(utc(2026, 1, 5, 10, 1), tid, "solved")
    assert sla_desk.ticket(tid).sla_check_at is None
    assert sla_desk.sweep(utc(2026, 1, 6)).tickets == 0
    assert M == 60


def test_without_update_returning_each_clock_is_claimed_alone(sla_desk, monkeypatch):
    monkeypatch.setattr(sla_desk.desk.engine.dialect, "update_returning", False)  # e.g. SQLite < 3.35
    tid = vip_ticket(sla_desk)
    assert sla_desk.sweep(utc(2026, 1, 5, 10, 15)).fired == [(tid, "first_response", "warning")]
    assert sla_desk.sweep(utc(2026, 1, 5, 10, 16)).fired == []


def test_reloading_policies_recomputes_open_tickets(sla_desk):
    from sla_support import SLA_TOML

    from helpdesk.services.sla.loading import load_policies

    tid = sla_desk.create(utc(2026, 1, 5, 10), priority="urgent")
    stricter = SLA_TOML.replace('first_response = "1h"\nnext_response = "1h"', 'first_response = "20m"\nnext_response = "1h"')
    renamed = stricter.replace('name = "Urgent"', 'name = "Urgent 2026"')
    summary = sla_desk.at(utc(2026, 1, 5, 10, 5), lambda s: load_policies(s, sla_desk.admin, renamed))
    assert summary == {"policies": 4, "calendars": 3, "recomputed": 1}
    ticket = sla_desk.ticket(tid)
    assert (ticket.sla_policy, ticket.sla_due_at) == ("Urgent 2026", utc(2026, 1, 5, 10, 20))
    assert sla_desk.events(tid) == [("sla_policy", "Urgent", "Urgent 2026")]
