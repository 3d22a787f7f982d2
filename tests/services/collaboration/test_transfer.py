"""Transfers: a reason always, in the timeline, told to the new owner; nothing written when refused."""

from __future__ import annotations

import pytest

from helpdesk.errors import Invalid
from helpdesk.models import Ticket
from helpdesk.services.collaboration.followers import follow
from helpdesk.services.collaboration.transfer import transfer_ticket
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from tests.services.collaboration.collab_support import add_agents, events, notes_of, ticket


def version(desk, n: int) -> int:
    with desk.read() as s:
        return s.get(Ticket, n).version


def test_transfer_to_an_agent_records_the_reason_and_tells_them(desk, crew):
    [li] = add_agents(desk, crew, ("li@example.com", "李伟", "billing"))
    n = ticket(desk, crew)
    diff = desk.write(lambda s: transfer_ticket(s, crew.admin, n, assignee="李伟", reason="  退款问题，\n财务处理 "))
    assert diff == {"assignee": (None, "li@example.com")}
    [event] = events(desk, n, "assignee")
    assert (event.new, event.reason) == ("li@example.com", "退款问题， 财务处理")
    [told] = notes_of(desk, li)
    assert told.kind == "transfer" and "退款问题" in told.text and f"#{n}" in told.text


def test_transfer_to_a_team_tells_its_agents_and_lets_an_outsider_go(desk, crew):
    li, wang = add_agents(desk, crew, ("li@example.com", "李伟", "billing"), ("wang@example.com", "王芳", "billing"))
    n = ticket(desk, crew)
    desk.write(lambda s: update_ticket(s, crew.admin, n, TicketChanges(assignee="bob@example.com", team="support")))
    desk.write(lambda s: follow(s, crew.agent, n))
    diff = desk.write(lambda s: transfer_ticket(s, crew.agent, n, team="billing", reason="refund, not a bug"))
    assert diff == {"team": ("support", "billing"), "assignee": ("bob@example.com", None)}
    assert [x.kind for x in notes_of(desk, li)] == [x.kind for x in notes_of(desk, wang)] == ["transfer"]
    assert "to team billing: refund, not a bug" in notes_of(desk, li)[0].text
    assert notes_of(desk, crew.agent) == []  # bob made the change himself
    assert {e.reason for e in events(desk, n, "team")[-1:] + events(desk, n, "assignee")[-1:]} == {"refund, not a bug"}


def test_a_team_member_keeps_the_ticket_and_hears_of_it_once(desk, crew):
    [sam] = add_agents(desk, crew, ("sam@example.com", "Sam", "billing"))
    n = ticket(desk, crew)
    desk.write(lambda s: update_ticket(s, crew.admin, n, TicketChanges(assignee="sam@example.com")))
    desk.write(lambda s: follow(s, sam, n))
    diff = desk.write(lambda s: transfer_ticket(s, crew.admin, n, team="billing", reason="his area"))
    assert diff == {"team": (None, "billing")}
    assert [x.kind for x in notes_of(desk, sam)] == ["transfer"]  # not also a follower notice


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_no_reason_no_transfer_and_nothing_written(desk, crew, reason):
    n = ticket(desk, crew)
    before = version(desk, n)
    with pytest.raises(Invalid) as refused:
        desk.write(lambda s: transfer_ticket(s, crew.admin, n, team="billing", reason=reason))
    assert refused.value.field == "reason" and "reason" in refused.value.message
    assert version(desk, n) == before


def test_a_transfer_to_where_it_already_is_is_refused(desk, crew):
    n = ticket(desk, crew)
    desk.write(lambda s: transfer_ticket(s, crew.admin, n, team="billing", reason="billing question"))
    with pytest.raises(Invalid, match="already"):
        desk.write(lambda s: transfer_ticket(s, crew.admin, n, team="billing", reason="again"))
    with pytest.raises(Invalid, match="--team T or --assignee A"):
        desk.write(lambda s: transfer_ticket(s, crew.admin, n, reason="somewhere"))
