"""The portal's rules: lookups mail the link only to the requester on file, counted
per address and per ticket number; the status page shows the public conversation only;
replies and web requests go through the ticket services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from portal_support import DESK, links_in, mailing, outbox, solve, ticket, token_of
from sqlmodel import select

from helpdesk.models import Message, PortalHit, Ticket, utcnow
from helpdesk.services.customers.portal import (
    FormErrors,
    WebRequest,
    customer_reply,
    open_request,
    status_page,
    track,
)
from helpdesk.services.customers.portal_links import open_token
from helpdesk.services.tickets.conversation import add_agent_message


@pytest.fixture
def desk_mail(desk, crew):
    mailing(desk, crew.admin, portal__url="https://help.acme.test")
    return desk


def test_a_matching_lookup_mails_the_link_to_the_requester_only(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    assert desk_mail.write(lambda s: track(s, f"#{n}", " Alice@Example.com ", "10.0.0.1")) == "ok"
    [row] = outbox(desk_mail, "portal_link")
    assert row.to_addr == "alice@example.com" and row.ticket_id == n
    [link] = links_in(row)
    assert link.startswith("https://help.acme.test/t/")
    with desk_mail.read() as s:
        assert open_token(s, token_of(link)) == n


@pytest.mark.parametrize("number,email", [("{n}", "mallory@example.com"), ("99999", "alice@example.com")])
def test_a_wrong_pair_answers_the_same_and_mails_nobody(desk_mail, crew, number, email):
    n = ticket(desk_mail, crew.agent)
    assert desk_mail.write(lambda s: track(s, number.format(n=n), email, "10.0.0.1")) == "ok"
    assert outbox(desk_mail, "portal_link") == []


def test_bad_input_is_a_form_error_and_writes_nothing(desk_mail):
    with pytest.raises(FormErrors) as caught:
        desk_mail.write(lambda s: track(s, "abc", "not-an-address", "10.0.0.1"))
    assert caught.value.errors == {"number": "number", "email": "email"}
    with desk_mail.read() as s:
        assert s.exec(select(PortalHit)).all() == []


def test_the_sixth_lookup_of_one_number_in_ten_minutes_is_refused(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    answers = [desk_mail.write(lambda s, i=i: track(s, str(n), "alice@example.com", f"10.0.0.{i}")) for i in range(6)]
    assert answers == ["ok"] * 5 + ["limited"]
    assert len(outbox(desk_mail, "portal_link")) == 5
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        assert desk_mail.write(lambda s: track(s, str(n), "alice@example.com", "10.0.0.9")) == "ok"


def test_one_address_may_not_try_many_numbers(desk_mail):
    answers = [desk_mail.write(lambda s, i=i: track(s, str(1000 + i), "x@example.com", "10.9.9.9")) for i in range(21)]
    assert answers[:20] == ["ok"] * 20 and answers[20] == "limited"


def test_status_page_shows_the_public_conversation_only(desk_mail, crew):
    n = ticket(desk_mail, crew.agent, body="<script>alert(1)</script>")
    other = ticket(desk_mail, crew.agent, "bob@example.com", body="Bob's secret")
    desk_mail.write(lambda s: add_agent_message(s, crew.agent, n, "internal: customer is difficult", kind="note"))
    desk_mail.write(lambda s: add_agent_message(s, crew.agent, n, "We are on it."))
    desk_mail.write(lambda s: add_agent_message(s, crew.agent, other, "Bob only"))
    with desk_mail.read() as s:
        view = status_page(s, n)
    bodies = [p.body for p in view.posts]
    assert bodies == ["<script>alert(1)</script>", "We are on it."]
    assert [p.by_agent for p in view.posts] == [False, True] and view.posts[1].author == "Bob Agent"
    assert view.status == "open" and [s for _n, s in view.steps] == ["done", "current", "todo", "todo"]
    assert view.can_reply


def test_a_reply_reopens_a_solved_ticket_like_a_mail_reply(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    assert desk_mail.write(lambda s: customer_reply(s, n, "Still broken")) == "ok"
    with desk_mail.read() as s:
        assert s.get(Ticket, n).status == "open"
        last = s.exec(select(Message).where(Message.ticket_id == n).order_by(Message.id.desc())).first()
        assert (last.body, last.channel, last.author_contact_id is not None) == ("Still broken", "web", True)


def test_a_reply_to_a_closed_ticket_is_refused_and_empty_is_an_error(desk_mail, crew):
    from helpdesk.services.tickets.lifecycle import close_ticket

    n = ticket(desk_mail, crew.agent)
    with pytest.raises(FormErrors):
        desk_mail.write(lambda s: customer_reply(s, n, "   "))
    desk_mail.write(lambda s: close_ticket(s, crew.agent, n))
    assert desk_mail.write(lambda s: customer_reply(s, n, "hello?")) == "closed"


def test_the_request_form_opens_a_web_ticket_and_mails_its_link(desk_mail):
    form = WebRequest("王芳", "Wang@Example.cn", "打印机卡纸", "三楼打印机每天早上卡纸")
    assert desk_mail.write(lambda s: open_request(s, form, "10.0.0.1")) == "ok"
    with desk_mail.read() as s:
        t = s.exec(select(Ticket)).one()
        assert (t.channel, t.subject, t.status) == ("web", "打印机卡纸", "new")
    [ack] = outbox(desk_mail, "web_ack")
    assert ack.to_addr == "wang@example.cn" and "[#" in ack.subject
    [link] = links_in(ack)
    with desk_mail.read() as s:
        assert open_token(s, token_of(link)) == t.id


def test_the_request_form_names_every_bad_field_and_writes_nothing(desk_mail):
    with pytest.raises(FormErrors) as caught:
        desk_mail.write(lambda s: open_request(s, WebRequest("", "nope", " ", ""), "10.0.0.1"))
    assert caught.value.errors == {"email": "email", "subject": "required", "body": "required"}
    with desk_mail.read() as s:
        assert s.exec(select(Ticket)).all() == []
    assert outbox(desk_mail) == []


def test_without_mail_set_up_nothing_is_queued_but_the_answer_is_the_same(desk, crew):
    n = ticket(desk, crew.agent)
    assert desk.write(lambda s: track(s, str(n), "alice@example.com", "10.0.0.1")) == "ok"
    assert outbox(desk) == []
    assert DESK  # the support module's address is only used when mail is set up
