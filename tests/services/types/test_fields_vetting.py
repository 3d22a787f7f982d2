"""JSON Lines drafts of a request type: every line's values checked and stored canonically,
a bad value refused on every line it is on (values are checked once per run, not per line)."""

from __future__ import annotations

import json

import pytest

from helpdesk.errors import Invalid
from helpdesk.services.tickets.from_lines import create_from_lines
from helpdesk.services.tickets.lifecycle import get_ticket
from tests.services.types.test_stages_and_approvals import GOOD, count, shop  # noqa: F401 (fixture)


def lines(*drafts: dict) -> list[tuple[int, str]]:
    return [(n, json.dumps(d, ensure_ascii=False)) for n, d in enumerate(drafts, 1)]


def test_a_bad_value_repeated_is_refused_on_every_line(desk, shop):  # noqa: F811
    bad = {"subject": "x", "type": "退货退款", "fields": {**GOOD, "reason": "其他"}}
    good = {"subject": "y", "type": "退货退款", "fields": GOOD}
    with pytest.raises(Invalid) as refused:
        desk.write(lambda s: create_from_lines(s, shop["agent"], lines(bad, good, bad, bad)))
    message = refused.value.message
    assert message.startswith("3 of 4 lines are invalid")
    assert all(f"line {n}: reason: '其他' is not one of" in message for n in (1, 3, 4))
    assert count(desk) == 0


def test_recurring_values_are_stored_as_the_type_spells_them_on_every_line(desk, shop):  # noqa: F811
    repair = {"subject": "z", "type": "售后维修",
              "fields": {"serial": "SN-1", "under_warranty": "是", "fault": "屏幕，电池", "parts_cost": "1,200"}}
    drafts = [repair, {**repair, "type": "售后维修 ", "fields": {**repair["fields"], "serial": "SN-2"}},
              {"subject": "q", "type": "Question"}]
    ids = desk.write(lambda s: create_from_lines(s, shop["agent"], lines(*drafts)))
    with desk.read() as s:
        made = [get_ticket(s, i) for i in ids]
    for t in made[:2]:
        assert t.type == "售后维修"
        assert (t.fields["under_warranty"], t.fields["fault"], t.fields["parts_cost"]) == ("true", "屏幕, 电池", "1200")
    assert made[2].type == "question"


def test_tickets_made_from_json_lines_start_their_types_process(desk, shop):  # noqa: F811
    from helpdesk.services.types.progress import stages_view

    ids = desk.write(lambda s: create_from_lines(s, shop["agent"], lines(
        {"subject": "a", "type": "退货退款", "fields": GOOD}, {"subject": "b", "type": "question"},
        {"subject": "c", "type": "退货退款", "status": "solved", "fields": {**GOOD, "refund_txn_id": "T1"}})))
    with desk.read() as s:
        first, plain, history = (get_ticket(s, i) for i in ids)
        assert (first.stage, plain.stage, history.stage) == ("客服受理", None, None)
        assert stages_view(s, ids[0])["moves"] == ["仓储拦截"]
