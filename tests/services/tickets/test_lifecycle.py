"""Ticket lifecycle through the services: status rules, versions, events, roles."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.errors import Conflict, Forbidden, Invalid, NotFound
from helpdesk.models import Event, Message, Ticket, TicketTag
from helpdesk.services.people import agents, contacts
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.lifecycle import (
    NewTicket,
    TicketChanges,
    close_ticket,
    create_ticket,
    get_ticket,
    link_tickets,
    merge_tickets,
    reopen_ticket,
    update_ticket,
)
from helpdesk.services.tickets.listing import ticket_detail


def new(desk, actor, **kw) -> int:
    kw.setdefault("subject", "Printer jams")
    return desk.write(lambda s: create_ticket(s, actor, NewTicket(**kw)).id)


def test_create_makes_requester_message_tags_and_event(desk, crew):
    tid = new(desk, crew.agent, body="It jams on page 2", requester="Alice@Example.com", tags=["Printer", "floor-3"],
              priority="high", fields={"serial": "X1"})
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.status, t.priority, t.version) == ("new", "high", 1)
        assert contacts.find_contact(s, "alice@example.com").id == t.requester_id
        assert sorted(s.execute(select(TicketTag.tag).where(TicketTag.ticket_id == tid)).scalars()) == ["floor-3", "printer"]
        detail = ticket_detail(s, t)
    assert detail["messages"][0]["body"] == "It jams on page 2"
    assert detail["messages"][0]["by"] == "customer"
    assert detail["fields"] == {"serial": "X1"}
    assert [e["field"] for e in detail["events"]] == ["created"]
    assert detail["created_at"].endswith("+00:00")


@pytest.mark.parametrize("kw, field", [
    ({"subject": "  "}, "subject"), ({"priority": "hihg"}, "priority"), ({"type": "bug"}, "type"),
    ({"requester": "not-an-email"}, "requester"), ({"tags": ["two words"]}, "tag"), ({"channel": "fax"}, "channel"),
    ({"assignee": "nobody@example.com"}, None), ({"team": "nope"}, None),
])
def test_bad_input_is_refused_and_nothing_is_written(desk, crew, kw, field):
    with pytest.raises((Invalid, NotFound)) as err:
        new(desk, crew.agent, **kw)
    if field:
        assert err.value.field == field
    with desk.read() as s:
        assert s.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Message)).scalar_one() == 0


def test_first_public_reply_opens_and_sets_first_response(desk, crew):
    tid = new(desk, crew.agent)
    desk.write(lambda s: conversation.add_agent_message(s, crew.agent, tid, "internal", kind="note"))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert (t.status, t.first_response_at) == ("new", None)
    desk.write(lambda s: conversation.add_agent_message(s, crew.agent, tid, "On it"))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert t.status == "open" and t.first_response_at is not None
        first = t.first_response_at
    desk.write(lambda s: conversation.add_agent_message(s, crew.agent, tid, "Still on it"))
    with desk.read() as s:
        assert get_ticket(s, tid).first_response_at == first


@pytest.mark.parametrize("status", ["pending", "solved"])
def test_customer_message_reopens_pending_and_solved(desk, crew, status):
    tid = new(desk, crew.agent, requester="c@example.com")
    desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(status=status)))
    desk.write(lambda s: conversation.add_customer_message(s, crew.agent, tid, contacts.find_contact(s, "c@example.com"), "Any news?"))
    with desk.read() as s:
        assert get_ticket(s, tid).status == "open"


def test_closed_is_read_only_until_reopen(desk, crew):
    tid = new(desk, crew.agent)
    assert desk.write(lambda s: close_ticket(s, crew.agent, tid)) == {"status": ("new", "closed")}
    assert desk.write(lambda s: close_ticket(s, crew.agent, tid)) == {}
    with pytest.raises(Conflict, match="reopen"):
        desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(priority="high")))
    with pytest.raises(Conflict):
        desk.write(lambda s: conversation.add_agent_message(s, crew.agent, tid, "hello"))
    desk.write(lambda s: reopen_ticket(s, crew.agent, tid))
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert t.status == "open" and t.closed_at is not None and t.solved_at is not None


def test_solved_at_kept_and_updated_on_resolve(desk, crew):
    tid = new(desk, crew.agent)
    desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(status="solved")))
    with desk.read() as s:
        first = get_ticket(s, tid).solved_at
    desk.write(lambda s: reopen_ticket(s, crew.agent, tid))
    with desk.read() as s:
        assert get_ticket(s, tid).solved_at == first


def test_update_records_one_event_per_field_and_bumps_version(desk, crew):
    tid = new(desk, crew.agent)
    diff = desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(
        priority="urgent", assignee="bob@example.com", team="billing", add_tags=["vip"], fields={"serial": "S-1"})))
    assert diff == {"priority": ("normal", "urgent"), "assignee": (None, "bob@example.com"), "team": (None, "billing"),
                    "tags": ([], ["vip"]), "field.serial": (None, "S-1")}
    with desk.read() as s:
        t = get_ticket(s, tid)
        assert t.version == 2 and t.fields == {"serial": "S-1"}
        events = s.execute(select(Event).where(Event.ticket_id == tid, Event.field != "created")).scalars().all()
    assert {(e.field, e.old, e.new, e.actor) for e in events} == {
        ("priority", "normal", "urgent", "bob@example.com"), ("assignee", None, "bob@example.com", "bob@example.com"),
        ("team", None, "billing", "bob@example.com"), ("tags", "", "vip", "bob@example.com"),
        ("field.serial", None, "S-1", "bob@example.com")}


def test_no_op_update_changes_nothing(desk, crew):
    tid = new(desk, crew.agent, priority="high")
    assert desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(priority="high"))) == {}
    with desk.read() as s:
        assert get_ticket(s, tid).version == 1


def test_stale_version_is_refused_with_who_changed_what(desk, crew):
    tid = new(desk, crew.agent)
    desk.write(lambda s: update_ticket(s, crew.admin, tid, TicketChanges(priority="high")))
    with pytest.raises(Conflict, match=r"changed since version 1 .*ada@example.com: priority normal -> high"):
        desk.write(lambda s: update_ticket(s, crew.agent, tid, TicketChanges(status="pending"), if_version=1))
    with desk.read() as s:
        assert get_ticket(s, tid).status == "new"


def test_viewer_cannot_write_and_anonymous_is_told_how(desk, crew):
    from helpdesk.services.core.actors import ANONYMOUS

    with pytest.raises(Forbidden, match="vic@example.com is viewer"):
        new(desk, crew.viewer)
    with pytest.raises(Forbidden, match="--as"):
        new(desk, ANONYMOUS)


def test_only_admins_manage_agents_and_teams(desk, crew):
    with pytest.raises(Forbidden):
        desk.write(lambda s: agents.add_agent(s, crew.agent, "x@example.com", "X"))
    with pytest.raises(Forbidden):
        desk.write(lambda s: agents.add_team(s, crew.agent, "sales"))


def test_viewer_cannot_be_assigned(desk, crew):
    with pytest.raises(Invalid, match="viewer"):
        new(desk, crew.agent, assignee="vic@example.com")


def test_merge_moves_messages_and_closes_source(desk, crew):
    a = new(desk, crew.agent, body="first", requester="c@example.com")
    b = new(desk, crew.agent, body="second", requester="c@example.com")
    diffs = desk.write(lambda s: merge_tickets(s, crew.agent, a, b))
    assert diffs == {a: {"status": ("new", "closed"), "merged_into": (None, b)}, b: {"merged": (None, f"#{a} (1 messages)")}}
    with desk.read() as s:
        src, dst = get_ticket(s, a), get_ticket(s, b)
        assert src.status == "closed" and src.merged_into_id == b
        bodies = [m["body"] for m in ticket_detail(s, dst)["messages"]]
    assert "first" in bodies and "second" in bodies and any(f"#{a}" in body for body in bodies)
    with pytest.raises(Conflict):
        desk.write(lambda s: merge_tickets(s, crew.agent, a, b))
    with pytest.raises(Invalid):
        desk.write(lambda s: merge_tickets(s, crew.agent, b, b))


def test_link_is_symmetric_and_idempotent(desk, crew):
    a, b = new(desk, crew.agent), new(desk, crew.agent)
    assert desk.write(lambda s: link_tickets(s, crew.agent, a, b)) == {a: {"link": (None, f"#{b}")}, b: {"link": (None, f"#{a}")}}
    assert desk.write(lambda s: link_tickets(s, crew.agent, b, a)) == {}


def test_first_agent_of_empty_desk_becomes_admin(desk):
    from helpdesk.services.core.actors import ANONYMOUS

    agent = desk.write(lambda s: agents.add_agent(s, ANONYMOUS, "first@example.com", "First", role="viewer"))
    assert agent.role == "admin"
    with pytest.raises(Forbidden):
        desk.write(lambda s: agents.add_agent(s, ANONYMOUS, "second@example.com", "Second"))
