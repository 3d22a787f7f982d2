"""Request types on every door: typed fields, stages with teams, approvals (issue 13's acceptance)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from helpdesk.errors import Conflict, Forbidden, Invalid
from helpdesk.models import Event, Notification, Ticket
from helpdesk.services.core.actors import actor_of
from helpdesk.services.people import agents, contacts
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import NewTicket, TicketChanges, create_ticket, get_ticket, update_ticket
from helpdesk.services.tickets.listing import find_tickets
from helpdesk.services.types.approvals import approve
from helpdesk.services.types.catalog import load_types_file
from helpdesk.services.types.progress import stages_view
from helpdesk.services.types.stages import move_stage

EXAMPLE = (Path(__file__).resolve().parents[3] / "data" / "types.example.toml").read_text(encoding="utf-8")
GOOD = {"order_no": "TB-1001", "refund_amount": "99.90", "reason": "发错货", "pickup_date": "2026-03-05"}


@pytest.fixture
def shop(desk, crew):
    """The shipped types; wang in warehouse, fang the finance lead, a customer who is also an agent."""

    def make(s):
        for team in ("warehouse", "finance", "repairs", "purchasing"):
            agents.add_team(s, crew.admin, team)
        wang = agents.add_agent(s, crew.admin, "wang@example.com", "王芳", team="warehouse")
        fang = agents.add_agent(s, crew.admin, "fang@example.com", "方敏", team="finance")
        lee = agents.add_agent(s, crew.admin, "lee@example.com", "Lee", team="finance")
        contacts.add_contact(s, crew.admin, "lee@example.com", "Lee")  # an agent asking for a refund
        load_types_file(s, crew.admin, EXAMPLE)
        return {"wang": actor_of(wang), "fang": actor_of(fang), "lee": actor_of(lee), **vars(crew)}

    return desk.write(make)


def refund(desk, who, **fields):
    values = {**GOOD, **fields}
    return desk.write(lambda s: create_ticket(s, who, NewTicket(
        subject="退货退款", type="退货退款", requester="lee@example.com",
        fields={k: v for k, v in values.items() if v is not None})).id)


def count(desk) -> int:
    with desk.read() as s:
        return s.execute(select(func.count()).select_from(Ticket)).scalar_one()


@pytest.mark.parametrize("fields, message", [
    ({"order_no": None}, "order_no: is required on create"),
    ({"refund_amount": "abc"}, "refund_amount: 'abc' is not a number"),
    ({"refund_amount": "-5"}, "refund_amount: '-5' is below the minimum 0"),
    ({"reason": "其他"}, "reason: '其他' is not one of 质量问题, 发错货, 不想要了"),
    ({"pickup_date": "3月5日"}, "pickup_date: '3月5日' is not a date"),
])
def test_a_bad_create_names_the_field_and_writes_nothing(desk, shop, fields, message):
    with pytest.raises(Invalid, match=message):
        refund(desk, shop["agent"], **fields)
    assert count(desk) == 0


def test_values_are_stored_canonically_and_compare_by_kind(desk, shop):
    cheap = refund(desk, shop["agent"], refund_amount="99.90")
    dear = refund(desk, shop["agent"], refund_amount="1,200", pickup_date="2026-02-20")
    with desk.read() as s:
        assert get_ticket(s, cheap).fields["refund_amount"] == "99.9"
        assert [t.id for t in find_tickets(s, shop["agent"], "field.refund_amount:>100").tickets] == [dear]
        assert [t.id for t in find_tickets(s, shop["agent"], "field.pickup_date:<2026-03-01").tickets] == [dear]
        assert {t.id for t in find_tickets(s, shop["agent"], "type:退货退款 stage:客服受理").tickets} == {cheap, dear}


def test_an_update_is_checked_too_and_solving_needs_the_refund_transaction(desk, shop):
    tid = refund(desk, shop["agent"])
    with pytest.raises(Invalid, match="refund_amount: 'lots' is not a number"):
        desk.write(lambda s: update_ticket(s, shop["agent"], tid, TicketChanges(fields={"refund_amount": "lots"})))
    with pytest.raises(Invalid, match="order_no: is required"):
        desk.write(lambda s: update_ticket(s, shop["agent"], tid, TicketChanges(fields={"order_no": None})))
    walk_to_the_end(desk, shop, tid)
    with pytest.raises(Invalid, match="refund_txn_id: is required to set status solved"):
        desk.write(lambda s: update_ticket(s, shop["agent"], tid, TicketChanges(status="solved")))
    desk.write(lambda s: update_ticket(s, shop["agent"], tid, TicketChanges(status="solved",
                                                                            fields={"refund_txn_id": "TX-9"})))
    with desk.read() as s:
        assert get_ticket(s, tid).status == "solved"


def walk_to_the_end(desk, shop, tid):
    desk.write(lambda s: move_stage(s, shop["wang"], tid, "仓储拦截"))
    desk.write(lambda s: move_stage(s, shop["fang"], tid, "财务退款"))
    desk.write(lambda s: approve(s, shop["fang"], tid))
    desk.write(lambda s: move_stage(s, shop["agent"], tid, "客户确认"))


def test_stages_move_one_step_and_a_team_stage_is_for_its_members(desk, shop):
    tid = refund(desk, shop["agent"])
    with pytest.raises(Invalid, match="is at '客服受理'; from there it moves to 仓储拦截"):
        desk.write(lambda s: move_stage(s, shop["wang"], tid, "财务退款"))
    with pytest.raises(Forbidden, match="only team warehouse moves tickets into '仓储拦截'"):
        desk.write(lambda s: move_stage(s, shop["agent"], tid, "仓储拦截"))
    desk.write(lambda s: move_stage(s, shop["wang"], tid, "仓储拦截"))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.stage, agents.get_team(s, "warehouse").id) == ("仓储拦截", t.team_id)  # the stage routes it
    with pytest.raises(Conflict, match="it can be solved from its last stage, '客户确认'"):
        desk.write(lambda s: update_ticket(s, shop["agent"], tid, TicketChanges(status="solved")))


def test_approval_gates_the_stage_refuses_the_requester_and_a_no_sends_it_back(desk, shop):
    tid = refund(desk, shop["agent"])
    desk.write(lambda s: move_stage(s, shop["wang"], tid, "仓储拦截"))
    desk.write(lambda s: move_stage(s, shop["fang"], tid, "财务退款"))
    with desk.read() as s:
        waiting = find_tickets(s, shop["fang"], "approval:pending approver:me").tickets
        assert [t.id for t in waiting] == [tid]
        told = s.execute(select(Notification.agent_id).where(Notification.kind == "approval")).scalars().all()
        assert sorted(told) == sorted([shop["fang"].agent_id, shop["lee"].agent_id])  # the team's members
    with pytest.raises(Conflict, match="cannot leave '财务退款' before it is approved"):
        desk.write(lambda s: move_stage(s, shop["fang"], tid, "客户确认"))
    with pytest.raises(Forbidden, match="the requester cannot approve"):
        desk.write(lambda s: approve(s, shop["lee"], tid))
    with pytest.raises(Forbidden, match="only finance approve"):
        desk.write(lambda s: approve(s, shop["wang"], tid))
    desk.write(lambda s: approve(s, shop["fang"], tid, approved=False, comment="金额不对"))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.stage, t.approval) == ("仓储拦截", "declined")
        reasons = s.execute(select(Event.reason).where(Event.ticket_id == tid, Event.field == "stage")).scalars().all()
        assert "declined by finance: 金额不对" in reasons
        assert find_tickets(s, shop["fang"], "approval:pending approver:me").tickets == []
    desk.write(lambda s: move_stage(s, shop["fang"], tid, "财务退款"))  # a new round
    desk.write(lambda s: approve(s, shop["fang"], tid, comment="ok"))
    with pytest.raises(Conflict, match="already approved"):
        desk.write(lambda s: approve(s, shop["fang"], tid))
    desk.write(lambda s: move_stage(s, shop["agent"], tid, "客户确认"))
    with desk.read() as s:
        view = stages_view(s, tid)
    assert view["stage"] == "客户确认" and view["can_solve"] and view["approval"] is None


def test_needed_two_counts_two_different_voters(desk, shop):
    two = EXAMPLE.replace('approval = { approvers = ["finance"], needed = 1 }',
                          'approval = { approvers = ["fang@example.com", "wang@example.com"], needed = 2 }')
    desk.write(lambda s: load_types_file(s, shop["admin"], two))
    tid = refund(desk, shop["agent"])
    desk.write(lambda s: move_stage(s, shop["wang"], tid, "仓储拦截"))
    desk.write(lambda s: move_stage(s, shop["fang"], tid, "财务退款"))
    desk.write(lambda s: approve(s, shop["fang"], tid))
    with desk.read() as s:
        assert stages_view(s, tid)["approval"]["waiting_for"] == ["wang@example.com"]
        assert get_ticket(s, tid).approval == "pending"
    desk.write(lambda s: approve(s, shop["wang"], tid))
    with desk.read() as s:
        assert get_ticket(s, tid).approval == "approved"


def test_json_lines_are_vetted_per_line_and_all_or_nothing(desk, shop):
    import json

    lines = [(1, json.dumps({"subject": "a", "type": "退货退款", "fields": GOOD})),
             (2, json.dumps({"subject": "b", "type": "退货退款", "fields": {**GOOD, "reason": "其他"}})),
             (3, json.dumps({"subject": "c", "type": "no such"}))]
    with pytest.raises(Invalid) as refused:
        desk.write(lambda s: create_from_lines(s, shop["agent"], lines))
    assert "line 2: reason: '其他' is not one of" in refused.value.message
    assert "line 3: type: no type 'no such'" in refused.value.message
    assert count(desk) == 0
    ids = desk.write(lambda s: create_from_lines(s, shop["agent"], lines[:1]))
    with desk.read() as s:
        assert get_ticket(s, ids[0]).fields["refund_amount"] == "99.9"


def test_a_field_kind_cannot_change_while_tickets_hold_values(desk, shop):
    refund(desk, shop["agent"])
    changed = EXAMPLE.replace('key = "refund_amount"\nlabel = "退款金额 / refund amount"\nkind = "number"\nmin = 0',
                              'key = "refund_amount"\nlabel = "退款金额 / refund amount"\nkind = "text"')
    with pytest.raises(Invalid, match="'refund_amount' is number and 1 tickets hold values"):
        desk.write(lambda s: load_types_file(s, shop["admin"], changed))
    with pytest.raises(Invalid, match="'退货退款' is used by 1 tickets"):
        desk.write(lambda s: load_types_file(s, shop["admin"], ""))
    with pytest.raises(Forbidden):
        desk.write(lambda s: load_types_file(s, shop["agent"], EXAMPLE))


def test_a_rule_may_move_nothing_it_should_not(desk, shop):
    """A trigger setting a type starts its process; types refuse what is missing as a warning."""
    from helpdesk.services.workflow.stored import load_rules_file

    rules = '[[triggers]]\nname = "refunds"\non = ["created"]\nwhen = "退款"\nactions = { type = "退货退款" }\n'
    desk.write(lambda s: load_rules_file(s, shop["admin"], rules))
    tid = desk.write(lambda s: create_ticket(s, shop["agent"], NewTicket(subject="退款 please")).id)
    with desk.read() as s:
        t = get_ticket(s, tid)
        warned = s.execute(select(Event.reason).where(Event.ticket_id == tid, Event.field == "rule_warning")).scalars()
        assert t.type is None and any("order_no: is required" in w for w in warned)  # the ticket itself is kept
