"""Triggers and automations: order, chains, the once-per-chain rule, warnings, and the
classic pending reminder of issue 12."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.errors import Invalid
from helpdesk.models import Event, Notification, Ticket
from helpdesk.services.people import agents, contacts
from helpdesk.services.sla.loading import load_policies
from helpdesk.services.tickets.conversation import add_customer_message
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, get_ticket, tags_of, update_ticket
from helpdesk.services.workflow.automations import run_automations
from helpdesk.services.workflow.stored import load_macros_file, load_rules_file, stored_rules
from helpdesk.services.workflow.triggers import try_rule

UTC = timezone.utc


def rules(desk, crew, text: str) -> None:
    desk.write(lambda s: load_rules_file(s, crew.admin, text))


def events(desk, tid: int, field: str | None = None) -> list[Event]:
    with desk.read() as s:
        stmt = select(Event).where(Event.ticket_id == tid).order_by(Event.id)
        return [e for e in s.execute(stmt).scalars() if field is None or e.field == field]


@pytest.fixture
def vip(desk, crew):
    desk.write(lambda s: (agents.add_team(s, crew.admin, "vip"),
                          contacts.add_contact(s, crew.admin, "ann@acme.com", "Ann Lee", org="Acme", tier="vip")))
    return crew


def test_vip_trigger_sets_priority_and_team_and_names_itself(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "VIP first"
on = ["created"]
when = "org.tier:vip"
actions = { priority = "high", team = "vip", add_tags = ["vip"] }
''')
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="help", requester="ann@acme.com")).id)
    other = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="plain")).id)
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.priority, tags_of(s, tid)) == ("high", ["vip"])
        assert get_ticket(s, other).priority == "normal"
    fired = events(desk, tid, "rule")
    assert [e.new for e in fired] == ["trigger VIP first"]
    assert {e.actor for e in events(desk, tid, "priority")} == {"rule:VIP first"}


def test_later_triggers_see_earlier_changes_in_file_order(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "urgent words"
on = ["created"]
when = "broken"
actions = { priority = "urgent" }

[[triggers]]
name = "urgent to vip"
on = ["created"]
when = "priority:urgent"
actions = { team = "vip" }
''')
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="server broken")).id)
    with desk.read() as s:
        assert get_ticket(s, tid).team_id is not None


def test_two_triggers_that_undo_each_other_fire_once_each(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "up"
on = ["created", "updated"]
when = "priority:normal"
actions = { priority = "high" }

[[triggers]]
name = "down"
on = ["created", "updated"]
when = "priority:high"
actions = { priority = "normal" }
''')
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="ping pong")).id)
    assert [e.new for e in events(desk, tid, "rule")] == ["trigger up", "trigger down"]
    # a person's next change is a new chain: each may fire once again
    desk.write(lambda s: update_ticket(s, vip.agent, tid, TicketChanges(subject="ping pong 2")))
    assert len(events(desk, tid, "rule")) == 4


def test_changed_to_a_value_and_stop(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "solved thanks"
on = ["updated"]
changed = { status = "solved" }
actions = { add_tags = ["thanked"] }
stop = true

[[triggers]]
name = "never after stop"
on = ["updated"]
actions = { add_tags = ["late"] }
''')
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x")).id)
    desk.write(lambda s: update_ticket(s, vip.agent, tid, TicketChanges(priority="high")))
    with desk.read() as s:
        assert tags_of(s, tid) == ["late"]
    desk.write(lambda s: update_ticket(s, vip.agent, tid, TicketChanges(status="solved", remove_tags=["late"])))
    with desk.read() as s:
        assert tags_of(s, tid) == ["thanked"]


CREATED_CHANGED = '''
[[triggers]]
name = "urgent news"
on = ["created", "updated"]
changed = { priority = "urgent" }
actions = { add_tags = ["told"] }

[[triggers]]
name = "vip tagged"
on = ["created"]
changed = { tags = "vip" }
actions = { add_tags = ["seen-vip"] }

[[triggers]]
name = "support's"
on = ["created"]
changed = ["team"]
actions = { add_tags = ["has-team"] }
'''


def test_a_value_a_ticket_is_created_with_counts_as_changed(desk, vip):
    """As in Zendesk: a ticket created urgent has its priority "changed to urgent"; one
    created normal, a tag or team it was not created with: not."""
    from helpdesk.services.tickets.from_lines import create_from_lines

    rules(desk, vip, CREATED_CHANGED)
    mk = lambda **kw: desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x", **kw)).id)  # noqa: E731
    urgent, plain = mk(priority="urgent", tags=["vip"], team="support"), mk()
    lines = [(1, '{"subject": "y", "priority": "urgent"}'), (2, '{"subject": "z", "tags": ["vip"]}')]
    by_line = desk.write(lambda s: create_from_lines(s, vip.admin, lines))
    with desk.read() as s:
        assert tags_of(s, urgent) == ["has-team", "seen-vip", "told", "vip"]
        assert tags_of(s, plain) == []
        assert [tags_of(s, tid) for tid in by_line] == [["told"], ["seen-vip", "vip"]]


def test_a_change_in_the_creating_transaction_is_what_counts(desk, vip):
    rules(desk, vip, CREATED_CHANGED)

    def create_then_lower(s):
        tid = create_ticket(s, vip.agent, NewTicket(subject="x", priority="urgent")).id
        update_ticket(s, vip.agent, tid, TicketChanges(priority="low"))
        return tid

    tid = desk.write(create_then_lower)
    with desk.read() as s:
        assert tags_of(s, tid) == []


def test_changed_names_a_typed_field_as_written_in_the_file(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "emea desk"
on = ["created", "updated"]
changed = { "field.Region" = "EMEA" }
actions = { add_tags = ["emea"] }
''')
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x")).id)
    born = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="y", fields={"region": "emea"})).id)
    desk.write(lambda s: update_ticket(s, vip.agent, tid, TicketChanges(fields={"region": "emea"})))
    with desk.read() as s:
        assert tags_of(s, tid) == ["emea"] and tags_of(s, born) == ["emea"]


def test_a_failing_action_is_a_warning_and_keeps_the_change(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "to bob"
on = ["updated"]
changed = ["priority"]
actions = { assignee = "vic@example.com" }
''')  # Vic is a viewer: cannot be assigned
    tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x")).id)
    desk.write(lambda s: update_ticket(s, vip.agent, tid, TicketChanges(priority="urgent")))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.priority, t.assignee_id) == ("urgent", None)
    warning = events(desk, tid, "rule_warning")
    assert len(warning) == 1 and "viewer" in warning[0].reason


def test_notify_reaches_the_team(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "tell support"
on = ["created"]
when = "team:support"
actions = { notify = ["team", "ada@example.com"] }
''')
    desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x", team="support")))
    with desk.read() as s:
        who = sorted(n.agent_id for n in s.execute(select(Notification).where(Notification.kind == "rule")).scalars())
    assert who == sorted([vip.agent.agent_id, vip.admin.agent_id])


def test_rules_test_shows_changes_and_writes_nothing(desk, vip):
    rules(desk, vip, '''
[[triggers]]
name = "VIP first"
on = ["created"]
when = "org.tier:vip"
actions = { priority = "high" }
''')
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        desk.write(lambda s: load_rules_file(s, vip.admin, "", source="empty"))
        tid = desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject="x", requester="ann@acme.com")).id)
    rules(desk, vip, '''
[[triggers]]
name = "VIP first"
on = ["created"]
when = "org.tier:vip"
actions = { priority = "high" }
''')
    result = desk.rehearse(lambda s: try_rule(s, "VIP first", tid))
    assert result["matches"] and result["changed"] == {"priority": {"old": "normal", "new": "high"}}
    with desk.read() as s:
        assert get_ticket(s, tid).priority == "normal"
    assert events(desk, tid, "rule") == []


@pytest.mark.parametrize("text, expected", [
    ('[[triggers]]\nname = "a"\non = ["created"]\nwhen = "colour:red"\nactions = { priority = "high" }\n',
     "unknown field 'colour'.*line 4"),
    ('[[triggers]]\nname = "a"\non = ["created"]\nactions = { paint = "red" }\n', "unknown action 'paint'.*line 4"),
    ('[[triggers]]\nname = "a"\non = ["created"]\nactions = { team = "nope" }\n', "no team 'nope'.*line 4"),
    ('[[triggers]]\nname = "a"\non = ["birthday"]\nactions = { priority = "high" }\n', "on is a list.*line 3"),
    ('[[triggers]]\nname = "a"\non = ["created"]\nactions = { priority = "high" }\n\n'
     '[[triggers]]\nname = "A"\non = ["created"]\nactions = { priority = "low" }\n', "used twice.*line 7"),
    ('[[automations]]\nname = "loop"\nwhen = "status:pending status_age:>3d"\nactions = { priority = "high" }\n',
     "never make its condition false.*line 4"),
    ('[[automations]]\nname = "m"\nwhen = "status:pending -tag:x"\nactions = { macro = "nope", add_tags = ["x"] }\n',
     "no macro 'nope'"),
])
def test_a_bad_rules_file_is_refused_whole_with_the_line(desk, vip, text, expected):
    good = '[[triggers]]\nname = "keep me"\non = ["created"]\nactions = { priority = "high" }\n'
    rules(desk, vip, good)
    with pytest.raises(Invalid, match=expected):
        rules(desk, vip, text)
    with desk.read() as s:
        assert [t.name for t in stored_rules(s).triggers] == ["keep me"]


def test_only_admins_load_rules(desk, vip):
    from helpdesk.errors import Forbidden

    with pytest.raises(Forbidden):
        desk.write(lambda s: load_rules_file(s, vip.agent, ""))


# -- automations ------------------------------------------------------------------

OFFICE = '''
[calendars.office]
timezone = "UTC"
[calendars.office.hours]
mon = "09:00-18:00"
tue = "09:00-18:00"
wed = "09:00-18:00"
thu = "09:00-18:00"
fri = "09:00-18:00"

[[policies]]
name = "Default"
match = ""
calendar = "office"
first_response = "8h"
resolution = "45h"
'''
MACROS = '''
[[macros]]
name = "still-waiting"
reply = "您好 {{requester.first_name}}，工单 #{{ticket.id}} 还在等您的回复。{{ticket.field.order}}"
'''
REMINDER = '''
[[triggers]]
name = "customer reply clears the reminder"
on = ["message"]
author = "customer"
when = "tag:reminded"
actions = { remove_tags = ["reminded"] }

[[automations]]
name = "pending reminder"
when = "status:pending status_age:>72h -tag:reminded"
calendar = "office"
actions = { add_tags = ["reminded"], macro = "still-waiting" }

[[automations]]
name = "solve after the reminder"
when = "status:pending tag:reminded status_age:>144h"
calendar = "office"
actions = { status = "solved" }
'''
MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)  # 72 office hours = 8 office days


def pending_desk(desk, crew):
    with time_machine.travel(MONDAY, tick=False):
        def setup(s):
            load_policies(s, crew.admin, OFFICE)
            load_macros_file(s, crew.admin, MACROS)
            load_rules_file(s, crew.admin, REMINDER)
            contacts.add_contact(s, crew.admin, "wu@example.cn", "吴昊")
            t = create_ticket(s, crew.agent, NewTicket(subject="退款", requester="wu@example.cn"))
            update_ticket(s, crew.agent, t.id, TicketChanges(status="pending"))
            return t.id
        return desk.write(setup)


def at(moment, desk, **kw):
    with time_machine.travel(moment, tick=False):
        return desk.write(lambda s: run_automations(s, **kw))


def test_pending_reminder_then_solve_in_business_hours(desk, crew):
    tid = pending_desk(desk, crew)
    assert at(MONDAY + timedelta(days=9, hours=8), desk).matched["pending reminder"] == 0  # Wed 17:00: 71h
    assert at(MONDAY + timedelta(days=10), desk).matched["pending reminder"] == 0  # Thu 09:00: exactly 72h
    done = at(MONDAY + timedelta(days=10, minutes=30), desk)  # Thu 09:30 week 2: 72.5 office hours
    assert done.matched["pending reminder"] == 1
    assert at(MONDAY + timedelta(days=10, minutes=31), desk).matched["pending reminder"] == 0  # once
    with desk.read() as s:
        replies = [e for e in events(desk, tid, "reply")]
        assert len(replies) == 1 and get_ticket(s, tid).status == "pending"
        from helpdesk.models import Message

        body = s.execute(select(Message.body).where(Message.ticket_id == tid, Message.kind == "reply")).scalar_one()
    assert body == f"您好 吴昊，工单 #{tid} 还在等您的回复。"  # an empty field renders as nothing
    assert at(MONDAY + timedelta(days=24), desk).matched["solve after the reminder"] == 1
    with desk.read() as s:
        assert get_ticket(s, tid).status == "solved"


def test_a_customer_reply_in_between_cancels(desk, crew):
    tid = pending_desk(desk, crew)
    assert at(MONDAY + timedelta(days=10, hours=1), desk).matched["pending reminder"] == 1
    with time_machine.travel(MONDAY + timedelta(days=11), tick=False):
        desk.write(lambda s: add_customer_message(s, crew.agent, tid, contacts.find_contact(s, "wu@example.cn"), "还没好"))
    later = at(MONDAY + timedelta(days=30), desk)
    assert sum(later.matched.values()) == 0
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert t.status == "open" and "reminded" not in tags_of(s, tid)


def test_dry_run_lists_and_writes_nothing(desk, crew):
    tid = pending_desk(desk, crew)
    with time_machine.travel(MONDAY + timedelta(days=10), tick=False):
        preview = desk.rehearse(lambda s: run_automations(s, dry_run=True))
    assert preview.tickets["pending reminder"] == []  # exactly 72h is not more than 72h
    with time_machine.travel(MONDAY + timedelta(days=10, hours=1), tick=False):
        preview = desk.rehearse(lambda s: run_automations(s, dry_run=True))
    assert preview.tickets["pending reminder"] == [tid]
    assert events(desk, tid, "rule") == []


def test_a_run_cut_short_finishes_next_time_oldest_first(desk, crew):
    pending_desk(desk, crew)
    with time_machine.travel(MONDAY + timedelta(hours=1), tick=False):
        more = [desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject=f"p{i}", status="pending")).id)
                for i in range(4)]
    first = at(MONDAY + timedelta(days=12), desk, limit=2)
    assert first.more and first.tickets["pending reminder"] == [1, more[0]]
    second = at(MONDAY + timedelta(days=12), desk, limit=2)
    assert second.tickets["pending reminder"] == more[1:3]
    third = at(MONDAY + timedelta(days=12), desk, limit=2)
    assert third.tickets["pending reminder"] == more[3:] and not third.more


def test_clocks_follow_what_triggers_and_automations_change(desk, crew):
    """SLA clocks are worked out once after all the firings, yet end as if after each."""
    desk.write(lambda s: load_policies(s, crew.admin, (Path(__file__).parents[3] / "data" / "sla.toml").read_text()))
    rules(desk, crew, '''
[[triggers]]
name = "outage is urgent"
on = ["created"]
when = "outage"
actions = { priority = "urgent" }

[[automations]]
name = "stale to high"
when = "status:open status_age:>2h priority:normal"
actions = { priority = "high" }
''')
    hot = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="outage in hall 3")).id)
    cold = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="a question", status="open")).id)
    with desk.read() as s:
        assert s.get(Ticket, hot).sla_policy == "Urgent"
        assert s.get(Ticket, cold).sla_policy == "Default"
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=3)):
        done = desk.write(lambda s: run_automations(s))
    assert done.matched["stale to high"] == 1
    with desk.read() as s:
        assert s.get(Ticket, cold).sla_policy == "High"
    changed = events(desk, cold, "sla_policy")
    assert [(e.old, e.new, e.actor) for e in changed] == [("Default", "High", "rule:stale to high")]


def test_a_run_whose_actions_fail_ends_with_one_warning_per_ticket(desk, vip, monkeypatch):
    """Failed tickets still match; the run must not pick them again (it used to loop for ever)."""
    from helpdesk.services.workflow import automations

    rules(desk, vip, '''
[[automations]]
name = "give to vic"
when = "status:open -tag:nudged"
actions = { add_tags = ["nudged"], assignee = "vic@example.com" }
''')  # Vic is a viewer: every firing fails
    ids = [desk.write(lambda s: create_ticket(s, vip.agent, NewTicket(subject=f"t{i}", status="open")).id)
           for i in range(5)]
    monkeypatch.setattr(automations, "CHUNK", 2)
    done = automations.run_job(desk)
    assert done == {"actions": 5, "warnings": 5}
    assert [len(events(desk, tid, "rule_warning")) for tid in ids] == [1] * 5
    assert automations.run_job(desk)["warnings"] == 5  # the next run tries each once again
