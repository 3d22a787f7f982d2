"""Surveys: queued when a ticket is solved, mailed once when due, rated on the portal,
by a one-word reply to the survey mail, or by phone; one rating per ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from portal_support import DESK, links_in, mailing, outbox, solve, ticket, token_of
from sqlmodel import select

from helpdesk.errors import Conflict, Forbidden, Invalid
from helpdesk.models import Message, Rating, Survey, Ticket, utcnow
from helpdesk.services.core.settings import set_setting
from helpdesk.services.customers.portal import PORTAL
from helpdesk.services.customers.portal_links import open_token
from helpdesk.services.customers.survey_mail import send_due_surveys, survey_job
from helpdesk.services.customers.surveys import rate, satisfaction_of_contact
from helpdesk.services.mail.intake import ingest
from helpdesk.services.tickets.lifecycle import TicketChanges, close_ticket, update_ticket


@pytest.fixture
def desk_mail(desk, crew):
    mailing(desk, crew.admin, portal__url="https://help.acme.test")
    return desk


def survey(desk, n):
    with desk.read() as s:
        return s.get(Survey, n)


def later(**kw):
    return time_machine.travel(utcnow() + timedelta(**kw), tick=False)


def test_solving_queues_a_survey_due_a_day_later(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    row = survey(desk_mail, n)
    assert row.status == "queued" and timedelta(hours=23, minutes=59) < row.due_at - utcnow() <= timedelta(hours=24)
    assert desk_mail.write(lambda s: send_due_surveys(s)) == {"sent": 0, "skipped": 0}  # not yet due


def test_the_delay_and_the_switch_are_settings(desk_mail, crew):
    desk_mail.write(lambda s: set_setting(s, crew.admin, "survey.delay", "2h"))
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    assert survey(desk_mail, n).due_at - utcnow() <= timedelta(hours=2)
    desk_mail.write(lambda s: set_setting(s, crew.admin, "survey.enabled", "false"))
    m = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, m)
    assert survey(desk_mail, m) is None


def test_a_due_survey_is_mailed_once_with_good_and_bad_links(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    with later(hours=25):
        assert survey_job(desk_mail) == {"sent": 1, "skipped": 0}
        assert survey_job(desk_mail) == {"sent": 0, "skipped": 0}
    [mail] = outbox(desk_mail, "survey")
    assert mail.to_addr == "alice@example.com"
    good, bad = links_in(mail)
    assert good.endswith("?r=good") and bad.endswith("?r=bad")
    with desk_mail.read() as s:
        assert open_token(s, token_of(good), "s") == n
    # reopened and solved again: no second survey mail
    desk_mail.write(lambda s: update_ticket(s, crew.agent, n, TicketChanges(status="open")))
    solve(desk_mail, crew.agent, n)
    with later(days=3):
        survey_job(desk_mail)
    assert len(outbox(desk_mail, "survey")) == 1


def test_a_ticket_closed_before_the_survey_was_due_gets_none(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    desk_mail.write(lambda s: close_ticket(s, crew.agent, n))
    with later(hours=25):
        assert survey_job(desk_mail) == {"sent": 0, "skipped": 1}
    assert survey(desk_mail, n).status == "skipped" and outbox(desk_mail, "survey") == []


def test_no_survey_mail_until_mail_is_set_up(desk, crew):
    n = ticket(desk, crew.agent)
    solve(desk, crew.agent, n)
    with later(hours=25):
        assert "skipped" in survey_job(desk)
    assert survey(desk, n).status == "queued"


def test_one_rating_per_ticket_the_latest_wins_credited_to_the_assignee(desk_mail, crew):
    n = ticket(desk_mail, crew.agent, assignee="bob@example.com")
    solve(desk_mail, crew.agent, n)
    desk_mail.write(lambda s: rate(s, PORTAL, n, "bad", comment="slow", nps="3"))
    desk_mail.write(lambda s: update_ticket(s, crew.admin, n, TicketChanges(assignee="ada@example.com")))
    desk_mail.write(lambda s: rate(s, PORTAL, n, "good", nps=9))
    with desk_mail.read() as s:
        [row] = s.exec(select(Rating)).all()
        assert (row.rating, row.nps, row.comment, row.source) == ("good", 9, None, "portal")
        assert row.agent_id == s.get(Ticket, n).assignee_id  # the assignee at rating time: Ada now


def test_ratings_are_refused_when_unsolved_closed_or_too_old(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    with pytest.raises(Conflict, match="not been solved"):
        desk_mail.write(lambda s: rate(s, PORTAL, n, "good"))
    solve(desk_mail, crew.agent, n)
    with later(days=29), pytest.raises(Conflict, match="28 days"):
        desk_mail.write(lambda s: rate(s, PORTAL, n, "good"))
    with pytest.raises(Invalid):
        desk_mail.write(lambda s: rate(s, PORTAL, n, "meh"))
    with pytest.raises(Invalid):
        desk_mail.write(lambda s: rate(s, PORTAL, n, "good", nps=11))
    desk_mail.write(lambda s: close_ticket(s, crew.agent, n))
    with pytest.raises(Conflict, match="closed"):
        desk_mail.write(lambda s: rate(s, PORTAL, n, "good"))
    with desk_mail.read() as s:
        assert s.exec(select(Rating)).all() == []


def test_a_phone_rating_is_marked_as_taken_by_the_agent(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    solve(desk_mail, crew.agent, n)
    with pytest.raises(Forbidden):
        desk_mail.write(lambda s: rate(s, crew.viewer, n, "good", source="agent"))
    desk_mail.write(lambda s: rate(s, crew.agent, n, "good", source="agent", comment="电话回访：很满意"))
    with desk_mail.read() as s:
        row = s.get(Rating, n)
        assert (row.source, row.taken_by_id, row.comment) == ("agent", crew.agent.agent_id, "电话回访：很满意")


def survey_mail_of(desk, crew, n):
    solve(desk, crew.agent, n)
    with later(hours=25):
        survey_job(desk)
    [mail] = outbox(desk, "survey")
    return mail


def reply(mail, body, frm="alice@example.com", mid="r1@example.com") -> bytes:
    return (f"From: Alice <{frm}>\r\nTo: {DESK}\r\nSubject: Re: {mail.subject}\r\nMessage-ID: <{mid}>\r\n"
            f"In-Reply-To: <{mail.mail_message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            ).encode()


@pytest.mark.parametrize("answer,rating", [("1", "good"), ("2", "bad"), ("满意", "good"), ("不满意", "bad"),
                                           ("Good", "good"), ("bad!", "bad")])
def test_a_one_word_reply_to_the_survey_mail_is_a_rating(desk_mail, crew, answer, rating):
    n = ticket(desk_mail, crew.agent)
    mail = survey_mail_of(desk_mail, crew, n)
    before = len(outbox(desk_mail))
    result = desk_mail.write(lambda s: ingest(s, reply(mail, answer)))
    assert (result.ticket, result.action) == (n, "rated")
    with desk_mail.read() as s:
        assert (s.get(Rating, n).rating, s.get(Rating, n).source) == (rating, "mail")
        assert s.get(Ticket, n).status == "solved"  # a rating does not reopen the ticket
        assert len(s.exec(select(Message).where(Message.ticket_id == n)).all()) == 1
    assert len(outbox(desk_mail)) == before


def test_any_other_reply_to_the_survey_is_a_customer_message(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    mail = survey_mail_of(desk_mail, crew, n)
    result = desk_mail.write(lambda s: ingest(s, reply(mail, "1 thing still does not work")))
    assert (result.ticket, result.action) == (n, "appended")
    with desk_mail.read() as s:
        assert s.get(Rating, n) is None and s.get(Ticket, n).status == "open"


def test_a_rating_word_from_someone_else_is_not_a_rating(desk_mail, crew):
    n = ticket(desk_mail, crew.agent)
    mail = survey_mail_of(desk_mail, crew, n)
    result = desk_mail.write(lambda s: ingest(s, reply(mail, "2", frm="mallory@example.com")))
    assert result.action != "rated"
    with desk_mail.read() as s:
        assert s.get(Rating, n) is None


def test_satisfaction_of_a_contact(desk_mail, crew):
    numbers = [ticket(desk_mail, crew.agent) for _ in range(3)]
    ticket(desk_mail, crew.agent, "bob@example.com")
    for n, value in zip(numbers, ("good", "good", "bad")):
        solve(desk_mail, crew.agent, n)
        desk_mail.write(lambda s, n=n, value=value: rate(s, PORTAL, n, value))
    with desk_mail.read() as s:
        alice = s.get(Ticket, numbers[0]).requester_id
        bob = s.exec(select(Ticket.requester_id).where(Ticket.id == numbers[-1] + 1)).one()
        assert satisfaction_of_contact(s, alice) == {"rated": 3, "good": 2, "csat": 0.6667}
        assert satisfaction_of_contact(s, bob) == {"rated": 0, "good": 0, "csat": None}


def test_the_worker_runs_the_survey_job():
    from helpdesk.scheduler import JOBS

    names = [j.name for j in JOBS]
    assert "surveys" in names and names.index("surveys") < names.index("mail-send")
