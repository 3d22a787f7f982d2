"""The set-at-a-time paths (workflow/batch.py, trigger-by-trigger firing over a batch,
automations read ahead) leave exactly what the ticket-by-ticket path leaves: the same
tickets, tags, notifications and, ticket by ticket in order, the same events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.db import open_desk
from helpdesk.models import Event, Notification, Ticket, TicketTag
from helpdesk.services.core.actors import ANONYMOUS, actor_of
from helpdesk.services.people import agents, contacts
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from helpdesk.services.workflow import batch, triggers
from helpdesk.services.workflow.actions import fire
from helpdesk.services.workflow.automations import run_automations, run_job
from helpdesk.services.workflow.stored import load_rules_file

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

TRIGGERS = '''
[[triggers]]
name = "printer words"
on = ["created"]
when = "printer"
actions = { add_tags = ["hw"], priority = "high" }

[[triggers]]
name = "hardware to billing"
on = ["created"]
when = "tag:hw"
actions = { team = "billing" }

[[triggers]]
name = "vip first"
on = ["created"]
when = "org.tier:vip"
actions = { priority = "urgent", add_tags = ["vip"], team = "billing" }

[[triggers]]
name = "stopper"
on = ["created"]
when = "tag:stop"
actions = { add_tags = ["stopped"] }
stop = true

[[triggers]]
name = "the rest"
on = ["created"]
when = "-tag:hw -tag:vip"
actions = { add_tags = ["other"], team = "support" }

[[triggers]]
name = "raised"
on = ["created", "updated"]
changed = { priority = "high" }
when = "-tag:raised"
actions = { add_tags = ["raised"] }

[[triggers]]
name = "tidy"
on = ["updated"]
changed = { tags = "raised" }
when = "tag:other"
actions = { remove_tags = ["other"] }

[[triggers]]
name = "urgent notify"
on = ["created", "updated"]
changed = { priority = "urgent" }
when = ""
actions = { notify = ["team"] }
'''

AUTOMATIONS = '''
[[automations]]
name = "pending nudge"
when = "status:pending status_age:>24h -tag:nudged"
actions = { add_tags = ["nudged"], priority = "high" }

[[automations]]
name = "open to billing"
when = "status:open status_age:>48h -team:billing"
actions = { team = "billing" }
'''


def staffed_desk(path: str):
    """A desk with teams support and billing (round robin, capacity 3 each) and a vip contact."""
    desk = open_desk(path)

    def make(s):
        agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin")
        admin = actor_of(agents.get_agent(s, "ada@example.com"))
        agents.add_team(s, admin, "support")
        agents.add_team(s, admin, "billing")
        for n in "abc":
            agents.add_agent(s, admin, f"{n}@example.com", n.upper(), team="billing", capacity=3)
        agents.update_team(s, admin, "billing", routing="round_robin")
        contacts.add_contact(s, admin, "ann@acme.com", "Ann Lee", org="Acme", tier="vip")
        return admin

    return desk, desk.write(make)


def lines(n: int) -> list[tuple[int, str]]:
    out = []
    for i in range(n):
        line = {"subject": ["printer jammed", "cannot log in", "printer offline again", "invoice question"][i % 4],
                "priority": ["low", "normal", "high", "urgent"][i % 3], "tags": ["stop"] if i % 5 == 4 else []}
        if i % 6 == 0:
            line["requester"] = "ann@acme.com"
        if i % 7 == 3:
            line["status"] = "closed"  # every action on it is a warning
        out.append((i + 1, json.dumps(line)))
    return out


def snapshot(desk) -> dict:
    with desk.read() as s:
        tickets = [tuple(r) for r in s.execute(select(
            Ticket.id, Ticket.status, Ticket.priority, Ticket.team_id, Ticket.assignee_id, Ticket.version, Ticket.updated_at,
            Ticket.sla_state).order_by(Ticket.id))]
        tags = sorted(tuple(r) for r in s.execute(select(TicketTag.ticket_id, TicketTag.tag)))
        events = [tuple(r) for r in s.execute(select(
            Event.ticket_id, Event.field, Event.old, Event.new, Event.actor, Event.reason, Event.at)
            .where(Event.ticket_id.is_not(None)).order_by(Event.ticket_id, Event.id))]
        notes = sorted(tuple(r) for r in s.execute(select(Notification.agent_id, Notification.ticket_id,
                                                          Notification.text)))
    return {"tickets": tickets, "tags": tags, "events": events, "notifications": notes}


def one_by_one(monkeypatch) -> None:
    """The reference: ticket by ticket, every firing through actions.fire, every later
    trigger checked again after each firing that changed something (as before the
    set-based paths)."""
    monkeypatch.setattr(batch, "batchable", lambda actions: False)
    monkeypatch.setattr(triggers, "_fire_group", _ticket_by_ticket)


def _ticket_by_ticket(session, checker, ids, candidates, chains) -> int:
    matches = checker.matching(ids, candidates)
    fired = 0
    for tid in ids:
        matching, chain = matches.get(tid, set()), chains[tid]
        for position, trigger in enumerate(candidates):
            if trigger.name not in matching or trigger.name in chain.fired:
                continue
            chain.fired.add(trigger.name)
            fired += 1
            changed = fire(session, tid, trigger.name, trigger.actions)
            if trigger.stop:
                chain.fired.update(t.name for t in checker.rules.triggers)
                break
            rest = candidates[position + 1:]
            if changed and rest:
                matching = checker.matching([tid], rest).get(tid, set())
    return fired


@pytest.mark.parametrize("count", [3, 40])
def test_triggers_over_a_json_lines_batch_match_the_per_ticket_path(tmp_path, monkeypatch, count):
    results = []
    for name in ("set", "reference"):
        if name == "reference":
            one_by_one(monkeypatch)
        desk, admin = staffed_desk(str(tmp_path / f"{name}.db"))
        with time_machine.travel(NOW, tick=False):
            desk.write(lambda s: load_rules_file(s, admin, TRIGGERS))
            desk.write(lambda s: create_from_lines(s, admin, lines(count)))
        results.append(snapshot(desk))
        desk.close()
    got, want = results
    assert got == want
    fired = [e for e in got["events"] if e[1] == "rule"]
    warned = [e for e in got["events"] if e[1] == "rule_warning"]
    assert fired and any(e[1] == "assignee" for e in got["events"])
    assert warned or count < 4  # a closed line from the fourth on: its actions are warnings


def test_an_update_chain_matches_the_per_ticket_path(tmp_path, monkeypatch):
    results = []
    for name in ("set", "reference"):
        if name == "reference":
            one_by_one(monkeypatch)
        desk, admin = staffed_desk(str(tmp_path / f"{name}.db"))
        with time_machine.travel(NOW, tick=False):
            desk.write(lambda s: load_rules_file(s, admin, TRIGGERS))
            ids = desk.write(lambda s: create_from_lines(s, admin, lines(12)))

            def raise_all(s):
                for tid in ids:
                    if s.get(Ticket, tid).status != "closed":
                        update_ticket(s, admin, tid, TicketChanges(priority="urgent"))

            desk.write(raise_all)
        results.append(snapshot(desk))
        desk.close()
    assert results[0] == results[1]


def automation_desk(path: str, monkeypatch=None):
    desk, admin = staffed_desk(path)
    with time_machine.travel(NOW, tick=False):
        desk.write(lambda s: load_rules_file(s, admin, AUTOMATIONS))
        ids = desk.write(lambda s: create_from_lines(s, admin, [(i + 1, json.dumps({"subject": f"case {i}"}))
                                                               for i in range(60)]))

        def statuses(s):
            for tid in ids:
                update_ticket(s, admin, tid, TicketChanges(status=["pending", "open", "pending"][tid % 3]))

        desk.write(statuses)
    return desk


def test_automations_set_at_a_time_match_the_per_ticket_path(tmp_path, monkeypatch):
    results = []
    for name in ("set", "reference"):
        if name == "reference":
            one_by_one(monkeypatch)
        desk = automation_desk(str(tmp_path / f"{name}.db"))
        with time_machine.travel(NOW + timedelta(days=3), tick=False):
            done = desk.write(lambda s: run_automations(s, limit=1000))
        results.append((done.matched, snapshot(desk)))
        desk.close()
    assert results[0] == results[1]
    assert results[0][0] == {"pending nudge": 40, "open to billing": 20}


def test_a_run_in_chunks_reading_ahead_acts_like_searching_each_chunk(tmp_path):
    results = []
    for name in ("ahead", "each chunk"):
        desk = automation_desk(str(tmp_path / f"{name.replace(' ', '-')}.db"))
        with time_machine.travel(NOW + timedelta(days=3), tick=False):
            if name == "ahead":
                import helpdesk.services.workflow.automations as automations

                with pytest.MonkeyPatch.context() as mp:
                    mp.setattr(automations, "CHUNK", 7)
                    mp.setattr(automations, "LOOKAHEAD", 3)
                    done = run_job(desk)
            else:
                total, more = 0, True
                while more:
                    part = desk.write(lambda s: run_automations(s, limit=7))
                    total, more = total + sum(part.matched.values()), part.more
                done = {"actions": total, "warnings": 0}
        results.append((done, snapshot(desk)))
        desk.close()
    assert results[0] == results[1]
    assert results[0][0]["actions"] == 60


@pytest.mark.parametrize("chunk", [batch.CHUNK, 1])
def test_a_ticket_a_trigger_changed_shows_the_commit_as_its_last_update(tmp_path, monkeypatch, chunk):
    """updated_at is written once per ticket before the commit (batch._touch_later): a
    backdated line that a trigger changed reads as updated now; one nothing changed
    keeps its own time; the version still counts every firing. (chunk 1: the write
    split into statements as PostgreSQL's parameter limit needs for big batches.)"""
    monkeypatch.setattr(batch, "CHUNK", chunk)
    desk, admin = staffed_desk(str(tmp_path / "desk.db"))
    week_ago = NOW - timedelta(days=7)
    with time_machine.travel(NOW, tick=False):
        desk.write(lambda s: load_rules_file(s, admin, '''
[[triggers]]
name = "printer words"
on = ["created"]
when = "printer"
actions = { add_tags = ["hw"] }

[[triggers]]
name = "hardware high"
on = ["created"]
when = "tag:hw"
actions = { priority = "high" }
'''))
        stamp = week_ago.strftime("%Y-%m-%dT%H:%M:%SZ")
        ids = desk.write(lambda s: create_from_lines(s, admin, [
            (1, json.dumps({"subject": "printer jammed", "created_at": stamp})),
            (2, json.dumps({"subject": "invoice question", "created_at": stamp})),
            (3, json.dumps({"subject": "printer offline", "created_at": stamp}))]))
    with desk.read() as s:
        printer, invoice, other = (s.get(Ticket, tid) for tid in ids)
        for ticket in (printer, other):
            assert ticket.updated_at == NOW and ticket.priority == "high" and ticket.version == 3
        assert invoice.updated_at == week_ago and invoice.version == 1
