"""Followers: one notification per change others make, none for their own, never by mail;
`follower:me` finds what I follow."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest
from sqlmodel import select

from helpdesk.errors import Forbidden, NotFound
from helpdesk.models import Outbox
from helpdesk.services.collaboration.followers import follow, followers_of, unfollow
from helpdesk.services.core.settings import set_setting
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.services.tickets.lifecycle import TicketChanges, update_ticket
from helpdesk.services.tickets.listing import find_tickets
from tests.services.collaboration.collab_support import events, notes_of, ticket


def test_a_follower_gets_one_notification_per_change_by_others(desk, crew):
    n = ticket(desk, crew)
    assert desk.write(lambda s: follow(s, crew.agent, n)) is True
    assert desk.write(lambda s: follow(s, crew.agent, n)) is False  # already
    desk.write(lambda s: update_ticket(s, crew.admin, n, TicketChanges(priority="high", status="pending",
                                                                        add_tags=["printer"])))
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "Asked facilities.", kind="note"))
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "We are on it.", kind="reply"))
    texts = [x.text for x in notes_of(desk, crew.agent, "follower")]
    assert len(texts) == 3  # one per change, not one per field
    assert "priority normal → high" in texts[0] and "status new → pending" in texts[0] and "Ada Admin" in texts[0]
    assert "added a note" in texts[1] and "replied" in texts[2]
    desk.write(lambda s: update_ticket(s, crew.agent, n, TicketChanges(priority="urgent")))
    assert len(notes_of(desk, crew.agent, "follower")) == 3  # their own change is no news to them


def test_unfollow_stops_the_notifications_and_both_are_in_the_timeline(desk, crew):
    n = ticket(desk, crew)
    desk.write(lambda s: follow(s, crew.admin, n, "bob@example.com"))
    assert desk.write(lambda s: unfollow(s, crew.agent, n)) is True
    assert desk.write(lambda s: unfollow(s, crew.agent, n)) is False
    desk.write(lambda s: update_ticket(s, crew.admin, n, TicketChanges(priority="low")))
    assert notes_of(desk, crew.agent) == []
    assert [(e.old, e.new) for e in events(desk, n, "follower")] == [(None, "bob@example.com"), ("bob@example.com", None)]


def test_only_agents_make_others_follow_and_names_must_exist(desk, crew):
    n = ticket(desk, crew)
    with pytest.raises(Forbidden):
        desk.write(lambda s: follow(s, crew.viewer, n, "bob@example.com"))
    assert desk.write(lambda s: follow(s, crew.viewer, n)) is True  # a viewer may follow for themselves
    with pytest.raises(NotFound):
        desk.write(lambda s: follow(s, crew.admin, n, "nobody@example.com"))
    with pytest.raises(NotFound):
        desk.write(lambda s: follow(s, crew.admin, 999))
    with desk.read() as s:
        assert [a.email for a in followers_of(s, n)] == ["vic@example.com"]


def test_follower_me_finds_the_tickets_i_follow(desk, crew):
    a, b, _ = ticket(desk, crew, "one"), ticket(desk, crew, "two"), ticket(desk, crew, "three")
    desk.write(lambda s: (follow(s, crew.agent, a), follow(s, crew.agent, b), follow(s, crew.admin, b)))
    with desk.read() as s:
        assert sorted(t.id for t in find_tickets(s, crew.agent, "follower:me").tickets) == [a, b]
        assert [t.id for t in find_tickets(s, crew.agent, "follower:ada@example.com").tickets] == [b]
        assert a not in {t.id for t in find_tickets(s, crew.agent, "-follower:me").tickets}


def test_the_customers_mail_for_the_next_reply_carries_nothing_of_the_note(desk, crew):
    """The issue's acceptance: mentions and follower updates never reach the customer."""
    desk.write(lambda s: set_setting(s, crew.admin, "mail.from", "support@acme.test"))
    n = ticket(desk, crew)
    desk.write(lambda s: follow(s, crew.viewer, n))
    desk.write(lambda s: add_agent_message(s, crew.admin, n, "@bob 请看一下 内部备注 secret-42", kind="note"))
    desk.write(lambda s: add_agent_message(s, crew.agent, n, "您好，我们正在处理。", kind="reply"))
    with desk.read() as s:
        mails = list(s.exec(select(Outbox).order_by(Outbox.id)))
    assert [m.kind for m in mails] == ["reply"] and mails[0].to_addr == "alice@example.com"
    raw = mails[0].raw
    text = message_from_bytes(raw, policy=default).get_body(("plain",)).get_content()
    assert "我们正在处理" in text
    for leak in ("请看一下", "内部备注", "secret-42", "@bob"):
        assert leak not in text and leak.encode() not in raw
    assert notes_of(desk, crew.agent, "mention") and notes_of(desk, crew.viewer, "follower")
