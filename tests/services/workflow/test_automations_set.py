"""Automations' set-based path (plain UPDATE and executemany per chunk, SLA clocks by
`track_many`) leaves what the ticket-by-ticket path leaves on a desk with SLA policies:
the same tickets, tags, clocks, notifications and, ticket by ticket, the same events."""

from __future__ import annotations

import json
from datetime import timedelta

import time_machine
from sqlalchemy import select

from helpdesk.models import SlaClock, Ticket
from helpdesk.services.sla import tracking
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.sla.policies import DEFAULT_FILE
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from helpdesk.services.workflow import batch
from helpdesk.services.workflow.automations import run_job
from helpdesk.services.workflow.stored import load_rules_file
from tests.services.workflow.test_set_based import NOW, snapshot, staffed_desk

AUTOMATIONS = '''
[[automations]]
name = "pending nudge"
when = "status:pending status_age:>24h -tag:nudged"
actions = { add_tags = ["nudged", "waiting"], remove_tags = ["fresh"], priority = "urgent" }

[[automations]]
name = "open to billing"
when = "status:open status_age:>48h -team:billing"
actions = { team = "billing", add_tags = ["moved"] }

[[automations]]
name = "on hold drop team"
when = "status:on_hold status_age:>24h team:support"
actions = { team = "" }
'''


def per_ticket(monkeypatch) -> None:
    monkeypatch.setattr(batch, "batchable", lambda actions: False)
    monkeypatch.setattr(tracking, "track_many", lambda session, tickets, **kw: [
        tracking.track(session, [t if isinstance(t, int) else t.id], **kw) for t in tickets])


def desk_with_history(path: str):
    desk, admin = staffed_desk(path)
    with time_machine.travel(NOW, tick=False):
        desk.write(lambda s: load_policies(s, admin, DEFAULT_FILE.read_text(encoding="utf-8"), source="sla.toml"))
        desk.write(lambda s: load_rules_file(s, admin, AUTOMATIONS))
        lines = [(i + 1, json.dumps({"subject": f"case {i}", "priority": ["low", "normal", "high", "urgent"][i % 4],
                                     "tags": ["fresh"] if i % 2 else [], "team": "support" if i % 2 else "billing"}))
                 for i in range(45)]
        ids = desk.write(lambda s: create_from_lines(s, admin, lines))

        def statuses(s):
            for tid in ids:
                update_ticket(s, admin, tid, TicketChanges(status=["pending", "open", "on_hold"][tid % 3]))

        desk.write(statuses)
    return desk


def clocks(desk) -> list[tuple]:
    with desk.read() as s:
        return sorted(tuple(r) for r in s.execute(select(SlaClock.__table__)))


def test_automations_with_sla_clocks_match_the_per_ticket_path(tmp_path, monkeypatch):
    results = []
    for name in ("set", "reference"):
        if name == "reference":
            per_ticket(monkeypatch)
        desk = desk_with_history(str(tmp_path / f"{name}.db"))
        with time_machine.travel(NOW + timedelta(days=3), tick=False):
            done = run_job(desk)
        results.append((done, snapshot(desk), clocks(desk)))
        desk.close()
    assert results[0] == results[1]
    done, state, _ = results[0]
    assert done["actions"] == 15 + 8 + 7  # every pending, the open ones outside billing, on hold in support
    assert {tag for _, tag in state["tags"]} >= {"nudged", "waiting", "moved"}
    assert "fresh" in {tag for _, tag in state["tags"]}  # only the pending ones lost it
    with desk_with_history(str(tmp_path / "again.db")).read() as s:
        assert s.execute(select(Ticket.sla_policy)).scalars().first()  # the policies apply
