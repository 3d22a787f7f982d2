"""SLA clocks of tickets created in bulk (imports, JSON Lines) equal what the
per-ticket path computes; history that is already solved or closed gets none."""

from __future__ import annotations

import csv
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.models import SlaClock, Ticket
from helpdesk.services.imports.run import open_import, run_import
from helpdesk.services.people import contacts
from helpdesk.services.sla import tracking as sla_tracking
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.sla.tracking import track
from helpdesk.services.tickets.from_lines import create_from_lines
from sla_support import SLA_TOML, utc

NOW = utc(2026, 1, 5, 12)
CLOCK = ("policy", "target_seconds", "state", "started_at", "due_at", "warn_at", "met_at",
         "breached_at", "elapsed_seconds", "warned_at", "breach_fired_at")


# First in order, so every ticket is checked against it: free text only the database
# can match, so an import leaves the clocks to it (after the insert).
PHRASE_POLICY = """
[[policies]]
name = "Panic"
match = '"kernel panic"'
calendar = "always"
first_response = "15m"
"""


def sheet_of(path, rows):
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def with_policies(desk, crew, toml=SLA_TOML):
    def setup(s):
        load_policies(s, crew.admin, toml, source="test.toml")
        contacts.get_or_create_org(s, "Acme", "vip")
    desk.write(setup)


def with_phrase_policy_first(toml: str) -> str:
    head, _, policies = toml.partition("[[policies]]")
    return head + PHRASE_POLICY + "\n[[policies]]" + policies


def stored(session) -> dict:
    """ticket id -> (summary columns, {kind: clock values})."""
    out = {t.id: ((t.sla_policy, t.sla_state, t.sla_due_at, t.sla_check_at), {})
           for t in session.execute(select(Ticket)).scalars()}
    for row in session.execute(select(SlaClock)).scalars():
        out[row.ticket_id][1][row.kind] = tuple(getattr(row, name) for name in CLOCK)
    return out


def recomputed(desk) -> dict:
    """What the per-ticket path makes of the same tickets at the same instant (rolled back)."""
    def again(s):
        ids = list(s.execute(select(Ticket.id).where(Ticket.status.not_in(("solved", "closed")))).scalars())
        track(s, ids, now=NOW)
        s.flush()
        s.expire_all()
        return stored(s)
    return desk.rehearse(again)


@pytest.mark.parametrize("needs_database", [False, True], ids=["worked-out-ahead", "phrase-policy"])
def test_imported_tickets_get_the_clocks_the_per_ticket_path_gives(desk, crew, tmp_path, monkeypatch,
                                                                   needs_database):
    """Clocks worked out before the insert (policies Python can match) or by the
    database after it (a policy matching free text) are the per-ticket path's."""
    with_policies(desk, crew, with_phrase_policy_first(SLA_TOML) if needs_database else SLA_TOML)
    after_insert = []
    real = sla_tracking.track_created
    monkeypatch.setattr(sla_tracking, "track_created", lambda s, ids, **kw: after_insert.append(ids) or real(s, ids, **kw))
    sheet = sheet_of(tmp_path / "ledger.csv", [
        ["ID", "Subject", "Description", "Status", "Priority", "Customer Email", "Organization", "Created at", "Tags", "Comment"],
        ["A-1", "Down", "All down", "open", "urgent", "joe@example.com", "", "2026-01-05 08:00", "", "2026-01-05 08:20;Bob Agent;rebooting the switch"],  # a note: no reply
        ["A-2", "VIP asks", "Hello", "new", "normal", "vera@acme.example", "Acme", "2026-01-05 11:00", "", ""],
        ["A-3", "Berlin", "Guten Tag", "pending", "low", "max@example.de", "", "2026-01-02 09:00", "berlin", "waiting for the customer"],
        ["A-4", "Old one", "Done", "solved", "high", "joe@example.com", "", "2025-12-01 09:00", "", ""],
        ["A-5", "Older", "Closed", "closed", "urgent", "joe@example.com", "", "2025-11-01 09:00", "", ""],
    ])
    with time_machine.travel(NOW, tick=False):
        report = run_import(desk, crew.admin, open_import(sheet))
    assert report.created == 5 and not report.errors

    with desk.read() as s:
        now = stored(s)
        by_ext = {t.external_id: t.id for t in s.execute(select(Ticket)).scalars()}
    assert now == recomputed(desk)
    policy = {ext: now[tid][0][0] for ext, tid in by_ext.items()}
    assert policy == {"A-1": "Urgent", "A-2": "VIP", "A-3": "Berlin", "A-4": None, "A-5": None}
    urgent = now[by_ext["A-1"]]
    assert urgent[0][1] == "breached"  # created 08:00 UTC, 1h to respond, now 12:00
    assert set(urgent[1]) == {"first_response", "resolution"}
    assert now[by_ext["A-4"]] == ((None, None, None, None), {})
    assert bool(after_insert) == (needs_database or desk.backend != "sqlite")


def test_json_lines_tickets_get_the_clocks_the_per_ticket_path_gives(desk, crew):
    with_policies(desk, crew)
    lines = [json.dumps(line) for line in (
        {"subject": "Down", "body": "All down", "requester": "joe@example.com", "priority": "urgent"},
        {"subject": "Question", "body": "How?", "requester": "vera@example.com", "status": "open"},
        {"subject": "Done", "body": "Thanks", "requester": "joe@example.com", "status": "solved"},
    )]
    with time_machine.travel(NOW, tick=False):
        desk.write(lambda s: create_from_lines(s, crew.agent, list(enumerate(lines, 1))))
    with desk.read() as s:
        now = stored(s)
    assert now == recomputed(desk)
    assert sorted((summary[0] or "-") for summary, _ in now.values()) == ["-", "Office", "Urgent"]


def test_the_sweep_leaves_imported_history_alone_and_acts_on_what_falls_due_later(desk, crew, tmp_path):
    """Breaches already past when the sheet is imported are shown, not acted on (no
    tags, no notifications for what went wrong before the desk); later ones fire."""
    from helpdesk.models import Notification, TicketTag
    from helpdesk.services.sla.escalations import sweep
    from helpdesk.services.tickets.listing import find_tickets

    with_policies(desk, crew)
    sheet = sheet_of(tmp_path / "ledger.csv", [
        ["ID", "Subject", "Priority", "Customer Email", "Assignee", "Created at"],
        ["OLD", "Down since morning", "urgent", "joe@example.com", "bob@example.com", "2026-01-05 08:00"],
        ["NEW", "Down just now", "urgent", "joe@example.com", "bob@example.com", "2026-01-05 11:45"],
    ])
    with time_machine.travel(NOW, tick=False):
        run_import(desk, crew.admin, open_import(sheet))
    later = utc(2026, 1, 5, 13)  # NEW's first response (1h) fell due at 12:45
    desk.write(lambda s: sweep(s, now=later))

    with desk.read() as s:
        ids = {t.external_id: t.id for t in s.execute(select(Ticket)).scalars()}
        tags = {(t.ticket_id, t.tag) for t in s.execute(select(TicketTag)).scalars()}
        notes = s.execute(select(Notification.ticket_id)).scalars().all()
        breached = {t.id for t in find_tickets(s, crew.admin, "sla:breached", now=later).tickets}
    assert (ids["NEW"], "late") in tags and (ids["OLD"], "late") not in tags
    assert ids["OLD"] not in notes
    assert breached == {ids["OLD"], ids["NEW"]}


def test_a_log_in_one_batch_gets_the_clocks_of_each_tickets_last_state(desk, crew, tmp_path):
    """Rows that change a ticket again later in the batch: its clocks are those of where
    the log ends (as the per-ticket path gives them), never of its first row. Solved
    there: no clock, nothing for the sweep to fire."""
    with_policies(desk, crew)
    sheet = sheet_of(tmp_path / "log.csv", [
        ["ID", "Subject", "Status", "Priority", "Customer Email", "Created at"],
        ["L-1", "Down", "open", "urgent", "joe@example.com", "2026-01-05 11:30"],
        ["L-2", "Slow", "new", "urgent", "joe@example.com", "2026-01-05 08:00"],
        ["L-1", "Down", "solved", "urgent", "joe@example.com", "2026-01-05 11:30"],
        ["L-2", "Slow", "open", "normal", "joe@example.com", "2026-01-05 08:00"],
    ])
    with time_machine.travel(NOW, tick=False):
        report = run_import(desk, crew.admin, open_import(sheet))
    assert (report.created, report.updated) == (2, 2)
    with desk.read() as s:
        now = stored(s)
        ids = {t.external_id: t.id for t in s.execute(select(Ticket)).scalars()}
    assert now[ids["L-1"]] == ((None, None, None, None), {})  # solved: history, no clocks
    assert now[ids["L-2"]] == recomputed(desk)[ids["L-2"]]
    assert now[ids["L-2"]][0][0] == "Office"  # its last priority's policy, not Urgent's
    from helpdesk.services.sla.escalations import sweep

    fired = desk.write(lambda s: sweep(s, now=utc(2026, 1, 6, 12))).fired
    assert ids["L-1"] not in {tid for tid, *_ in fired}


def test_a_logs_changes_are_dated_by_the_sheet_so_clocks_count_its_history(desk, crew, tmp_path):
    """A row's changes are recorded at its Updated time (kept in order, not in the future):
    solved at 08:30 in the sheet is solved at 08:30 for the clocks, also once a policy
    reload recomputes them, not at the moment of the import."""
    from helpdesk.models import Event
    from helpdesk.services.sla.tracking import recompute_open

    with_policies(desk, crew)
    sheet = sheet_of(tmp_path / "log.csv", [
        ["ID", "Subject", "Status", "Priority", "Customer Email", "Created at", "Updated at"],
        ["L-1", "Down", "open", "urgent", "joe@example.com", "2026-01-05 08:00", "2026-01-05 08:00"],
        ["L-1", "Down", "solved", "urgent", "joe@example.com", "2026-01-05 08:00", "2026-01-05 08:30"],
        ["L-2", "Later", "open", "urgent", "joe@example.com", "2026-01-05 08:00", "2030-01-01 00:00"],
        ["L-2", "Later", "pending", "urgent", "joe@example.com", "2026-01-05 08:00", "2030-01-01 00:00"],
    ])
    with time_machine.travel(NOW, tick=False):
        run_import(desk, crew.admin, open_import(sheet, tz=ZoneInfo("UTC")))
        desk.write(lambda s: recompute_open(s, now=NOW))
    with desk.read() as s:
        ids = {t.external_id: t.id for t in s.execute(select(Ticket)).scalars()}
        changed = dict(s.execute(select(Event.ticket_id, Event.at).where(Event.field == "status")).all())
        clocks = {(c.ticket_id, c.kind): c for c in s.execute(select(SlaClock)).scalars()}
    assert changed[ids["L-1"]] == utc(2026, 1, 5, 8, 30)
    assert changed[ids["L-2"]] == NOW  # a time in the future: now
    resolution = clocks[ids["L-1"], "resolution"]
    assert (resolution.state, resolution.met_at) == ("met", utc(2026, 1, 5, 8, 30))
