"""`track_many` (set-based, plain rows) stores exactly what `track` (ticket by ticket,
ORM rows) stores: the same clock rows, fired-once markers, summary columns and
policy-change events, on random histories under business-hour calendars with
pauses, replies, customer messages, solves and reopens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from helpdesk.models import Event, SlaClock, Ticket
from helpdesk.services.sla import tracking
from sla_support import SlaDesk, sla_desk, utc  # noqa: F401  (sla_desk is a fixture)

STEPS = ("reply", "customer", "note", "pending", "on_hold", "open", "solved", "reopen", "urgent", "normal",
         "berlin")
tickets = st.lists(st.tuples(
    st.integers(min_value=0, max_value=21 * 24 * 60),  # minutes after 2026-01-02 (a Friday) it was created
    st.sampled_from(["joe@example.com", "vip@acme.example"]),
    st.sampled_from(["normal", "urgent", "high"]),
    st.booleans(),  # tagged berlin
    st.lists(st.tuples(st.integers(min_value=1, max_value=3 * 24 * 60), st.sampled_from(STEPS)), max_size=5),
), min_size=1, max_size=3)
tamper = st.sampled_from(["none", "delete clocks", "markers", "old policy", "stale summary"])


@pytest.fixture
def shared_desk(tmp_path, monkeypatch):
    """One desk for all the examples (each adds its own tickets)."""
    monkeypatch.setenv("HELPDESK_CONFIG", str(tmp_path / "config.toml"))
    d = SlaDesk(str(tmp_path / "t.db"))
    yield d
    d.desk.close()


def make(d: SlaDesk, spec) -> int:
    minutes, requester, priority, berlin, steps = spec
    at = utc(2026, 1, 2) + timedelta(minutes=minutes)
    tid = d.create(at, requester=requester, priority=priority, tags=["berlin"] if berlin else [])
    for gap, step in steps:
        at += timedelta(minutes=gap)
        status = d.ticket(tid).status
        if step == "reply":
            d.reply(at, tid)
        elif step == "customer" and status != "closed":
            d.customer(at, tid)
        elif step == "note":
            d.note(at, tid)
        elif step in ("pending", "on_hold", "open", "solved") and status not in ("closed", step):
            d.status(at, tid, step)
        elif step == "reopen" and status == "solved":
            d.reopen(at, tid)
        elif step in ("urgent", "normal") and status != "closed":
            d.change(at, tid, priority=step)
        elif step == "berlin" and status != "closed":
            d.change(at, tid, add_tags=["berlin"])
    return tid


def stored(s, ids: list[int]):
    s.flush()
    clock_table, ticket_table, event_table = SlaClock.__table__, Ticket.__table__, Event.__table__
    clocks = sorted(tuple(r) for r in s.execute(select(clock_table).where(clock_table.c.ticket_id.in_(ids))))
    summaries = [tuple(r) for r in s.execute(select(
        ticket_table.c.id, ticket_table.c.sla_policy, ticket_table.c.sla_state, ticket_table.c.sla_due_at,
        ticket_table.c.sla_check_at, ticket_table.c.version, ticket_table.c.updated_at)
        .where(ticket_table.c.id.in_(ids)).order_by(ticket_table.c.id))]
    events = [tuple(r) for r in s.execute(select(
        event_table.c.ticket_id, event_table.c.field, event_table.c.old, event_table.c.new, event_table.c.actor,
        event_table.c.reason).where(event_table.c.ticket_id.in_(ids)).order_by(event_table.c.id))]
    loaded = [(t.id, t.sla_policy, t.sla_state, t.sla_due_at, t.sla_check_at)
              for t in (s.get(Ticket, tid) for tid in ids)]
    return clocks, summaries, events, loaded


def spoil(s, ids: list[int], how: str, now) -> None:
    """Start from a state a recompute must repair (or keep: the fired-once markers)."""
    table = SlaClock.__table__
    if how == "delete clocks":
        s.execute(table.delete().where(table.c.ticket_id == ids[0]))
    elif how == "markers":
        s.execute(table.update().where(table.c.ticket_id.in_(ids)).values(warned_at=now, breach_fired_at=now))
    elif how == "old policy":
        s.execute(table.update().where(table.c.ticket_id == ids[-1]).values(policy="Gone", warned_at=now))
        s.execute(Ticket.__table__.update().where(Ticket.__table__.c.id == ids[-1]).values(sla_policy="Gone"))
    elif how == "stale summary":
        s.execute(Ticket.__table__.update().where(Ticket.__table__.c.id.in_(ids)).values(
            sla_state="met", sla_due_at=None, sla_check_at=None))
    s.expire_all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(tickets, st.integers(min_value=0, max_value=40 * 24 * 60), tamper, st.booleans())
def test_track_many_stores_what_track_stores(shared_desk, specs, later, how, as_objects):
    d = shared_desk
    ids = [make(d, spec) for spec in specs]
    now = utc(2026, 1, 2) + timedelta(minutes=later)

    def both(s):
        spoil(s, ids, how, now)
        results = []
        for way in ("track", "track_many"):
            savepoint = s.begin_nested()
            if way == "track":
                tracking.track(s, ids, now=now, reason="test")
            else:
                given = [s.get(Ticket, tid) for tid in ids] if as_objects else ids
                tracking.track_many(s, given, now=now, reason="test")
            results.append(stored(s, ids))
            savepoint.rollback()
            s.expire_all()
        return results

    by_one, by_set = d.at(now, both)
    assert by_set == by_one


def test_track_many_of_nothing_changes_nothing(sla_desk):
    assert sla_desk.at(utc(2026, 1, 5), lambda s: tracking.track_many(s, [])) == 0
    tid = sla_desk.create(utc(2026, 1, 5, 9))
    # just tracked by the create: a second look finds nothing to change
    assert sla_desk.at(utc(2026, 1, 5, 9), lambda s: tracking.track_many(s, [tid])) == 0
    # a day later the first-response clock is breached: the summary changes
    assert sla_desk.at(utc(2026, 1, 7, 9), lambda s: tracking.track_many(s, [tid, tid])) == 1
