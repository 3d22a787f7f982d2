"""helpdesk.services.upkeep: each doctor check finds what it is about, and says what to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text as sql

from helpdesk.models import Outbox, utcnow
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket
from helpdesk.services.upkeep.doctor import examine, repair_search
from helpdesk.services.upkeep.heartbeat import beat

SLA = """
[calendars.always]
timezone = "UTC"
hours = "24x7"

[[policies]]
name = "all"
match = ""
calendar = "always"
first_response = "1h"
resolution = "8h"
warn_at = 0.5
"""


def states(report) -> dict[str, str]:
    return {c.name: c.state for c in report.checks}


def check(report, name):
    return next(c for c in report.checks if c.name == name)


def tickets(desk, crew, count=3):
    return desk.write(lambda s: [create_ticket(s, crew.agent, NewTicket(subject=f"Printer {i} 打印机", body=f"jammed {i}",
                                                                         requester=f"c{i}@example.com")).id
                                 for i in range(count)])


def test_a_fresh_desk_with_tickets_is_healthy(desk, crew):
    tickets(desk, crew)
    report = examine(desk)
    assert report.healthy, [c.to_dict() for c in report.problems]
    expected = {"schema": "ok", "search": "ok", "sla": "ok", "outbox": "ok", "worker": "ok"}
    assert {k: v for k, v in states(report).items() if k in expected} == expected
    assert states(report)["integrity"] == ("ok" if desk.backend == "sqlite" else "skipped")


def test_the_search_check_finds_missing_stale_and_orphan_rows_and_repair_mends_them(desk, crew):
    first, second, third = tickets(desk, crew)
    key = "rowid" if desk.backend == "sqlite" else "ticket_id"

    def damage(s):
        s.execute(sql(f"DELETE FROM ticket_search WHERE {key} = :t"), {"t": first})
        s.execute(sql("UPDATE ticket SET subject = 'Scanner' WHERE id = :t"), {"t": second})
        if desk.backend == "sqlite":
            s.execute(sql("INSERT INTO ticket_search (rowid, doc) VALUES (999, 'ghost')"))

    desk.write(damage)
    found = check(examine(desk), "search")
    assert found.state == "problem"
    assert f"#{first}" in found.summary and f"#{second}" in found.summary and "advice" not in found.summary
    assert found.details["missing"] == [first] and found.details["stale"] == [second]
    if desk.backend == "sqlite":
        assert found.details["orphans"] == [999]
    done = desk.write(lambda s: repair_search(s, crew.admin))
    assert done["reindexed"] == 2
    assert check(examine(desk), "search").state == "ok"


def test_repairing_the_search_index_is_for_admins(desk, crew):
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        desk.write(lambda s: repair_search(s, crew.agent))


def test_sla_warnings_due_but_not_swept_are_a_problem_until_the_worker_sweeps(desk, crew):
    from helpdesk.services.sla.escalations import sweep

    desk.write(lambda s: load_policies(s, crew.admin, SLA))
    ids = tickets(desk, crew, 2)
    later = utcnow() + timedelta(minutes=33)  # 3 minutes past the warning (30 min)
    assert check(examine(desk, later), "sla").state == "ok"  # within the grace: a worker may be about to sweep
    much_later = utcnow() + timedelta(hours=2)
    found = check(examine(desk, much_later), "sla")
    assert found.state == "problem" and f"#{ids[0]}" in found.summary and "helpdesk worker" in found.advice
    desk.write(lambda s: sweep(s, now=much_later))
    assert check(examine(desk, much_later), "sla").state == "ok"


def test_the_worker_never_seen_or_long_gone_is_a_problem_when_the_desk_needs_it(desk, crew):
    assert check(examine(desk), "worker").state == "ok"  # nothing needs a worker yet
    desk.write(lambda s: load_policies(s, crew.admin, SLA))
    never = check(examine(desk), "worker")
    assert never.state == "problem" and "never ran" in never.summary and "helpdesk worker" in never.advice
    now = utcnow()
    desk.write(lambda s: beat(s, now))
    assert check(examine(desk, now + timedelta(minutes=2)), "worker").state == "ok"
    gone = check(examine(desk, now + timedelta(hours=3, minutes=5)), "worker")
    assert gone.state == "problem" and "last ran 3 h ago" in gone.summary


def test_failed_or_long_queued_mail_is_a_stuck_outbox(desk, crew):
    now = utcnow()

    def queue(s):
        s.add(Outbox(to_addr="c@example.com", subject="Re: x", mail_message_id="<a@x>", raw=b"x", status="failed",
                     attempts=8, last_error="535 authentication failed", created_at=now))
        s.add(Outbox(to_addr="c@example.com", subject="Re: y", mail_message_id="<b@x>", raw=b"y", status="queued",
                     created_at=now - timedelta(hours=2), next_attempt_at=now))

    desk.write(queue)
    found = check(examine(desk, now), "outbox")
    assert found.state == "problem"
    assert "1 messages failed" in found.summary and "1 queued" in found.summary and "535 authentication" in found.summary
    assert "mail outbox" in found.advice


def test_an_old_schema_is_named_with_the_way_up(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine

    from helpdesk.db import alembic_config, open_desk
    from helpdesk.migrations import HEAD

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0005")
    engine.dispose()
    desk = open_desk(str(tmp_path / "old.db"), migrate=False)
    try:
        report = examine(desk)
    finally:
        desk.close()
    found = check(report, "schema")
    assert found.state == "problem" and f"revision 0005, this helpdesk is at {HEAD}" in found.summary
    assert "helpdesk init" in found.advice and not report.healthy


def test_a_reference_to_a_missing_row_is_found_on_sqlite(tmp_path, crew, desk):
    if desk.backend != "sqlite":
        pytest.skip("PostgreSQL enforces foreign keys itself")
    import sqlite3

    conn = sqlite3.connect(str(tmp_path / "desk.db"))
    conn.execute("INSERT INTO ticket_tag (ticket_id, tag) VALUES (4242, 'lost')")  # foreign keys are off here
    conn.commit()
    conn.close()
    found = check(examine(desk), "foreign_keys")
    assert found.state == "problem" and "ticket_tag" in found.summary
