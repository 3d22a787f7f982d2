import pytest
from mail_raw import raw

from helpdesk.mail import parse_message, should_not_autoreply, tag_subject, ticket_tag

MARKER = "helpdesk@acme.test"


def _mail(*headers: str, sender: str = "Alice <alice@example.com>") -> bytes:
    return raw(f"From: {sender}", "Subject: hi", *headers, "", "body")


def _reason(*headers: str, **kwargs) -> str | None:
    return should_not_autoreply(parse_message(_mail(*headers, **kwargs), loop_marker=MARKER))


def test_ordinary_mail_may_be_answered():
    assert _reason() is None
    assert _reason("Auto-Submitted: no", "Precedence: first-class") is None


@pytest.mark.parametrize("header", [
    "Auto-Submitted: auto-replied",
    "Auto-Submitted: auto-generated; owner-email=x@y.test",
    "Auto-Submitted: AUTO-NOTIFIED",
    "X-Autoreply: yes",
])
def test_auto_submitted(header):
    parsed = parse_message(_mail(header))
    assert parsed.auto_submitted
    assert "automatically" in should_not_autoreply(parsed)


@pytest.mark.parametrize("header", ["Precedence: bulk", "Precedence: junk", "Precedence: List",
                                    "List-Id: <users.lists.example.com>"])
def test_bulk_and_list_mail(header):
    parsed = parse_message(_mail(header))
    assert parsed.is_bulk
    assert "bulk" in should_not_autoreply(parsed)


def test_our_own_x_loop_marker():
    parsed = parse_message(_mail(f"X-Loop: {MARKER.upper()}"), loop_marker=MARKER)
    assert parsed.loop
    assert "X-Loop" in should_not_autoreply(parsed)


def test_someone_elses_x_loop_is_not_ours():
    assert not parse_message(_mail("X-Loop: other@list.test"), loop_marker=MARKER).loop
    assert not parse_message(_mail(f"X-Loop: {MARKER}")).loop  # no marker configured


@pytest.mark.parametrize("sender", [
    "MAILER-DAEMON@mx.example.com", "no-reply@shop.test", "noreply@shop.test", "NoReply.Orders@shop.test",
    "donotreply@bank.test", "do-not-reply@bank.test", "postmaster@example.com",
    "users-request@lists.test", "owner-users@lists.test", "bounces+123@mail.test",
])
def test_robot_senders(sender):
    parsed = parse_message(_mail(sender=sender))
    assert parsed.no_reply_sender
    assert should_not_autoreply(parsed) is not None


@pytest.mark.parametrize("sender", ["alice@example.com", "replyteam@x.test", "norman@x.test", "bounce.lee@x.test"])
def test_people_are_not_robots(sender):
    assert not parse_message(_mail(sender=sender)).no_reply_sender


def test_empty_return_path_and_exchange_suppression():
    assert "Return-Path" in _reason("Return-Path: <>")
    assert "asked" in _reason("X-Auto-Response-Suppress: DR, OOF")
    assert _reason("X-Auto-Response-Suppress: DR, NDR") is None


def test_no_sender_address_means_no_autoreply():
    assert "sender" in should_not_autoreply(parse_message(b"Subject: x\r\n\r\nbody"))


@pytest.mark.parametrize(("subject", "number"), [
    ("[#123] Printer", 123),
    ("Re: [#123] Printer", 123),
    ("RE: 回复: ［#123］ 打印机", 123),
    ("答复：【＃４５】发票", 45),
    ("[ #7 ]", 7),
    ("Re: [#12] and [#34]", 12),
    ("#123 no brackets", None),
    ("[123]", None),
    ("[#]", None),
    ("[#1234567890]", None),
    ("", None),
])
def test_ticket_tag(subject, number):
    assert ticket_tag(subject) == number


def test_tag_subject_adds_the_tag_once():
    assert tag_subject("Printer", 5) == "[#5] Printer"
    assert tag_subject("Re: [#5] Printer", 5) == "Re: [#5] Printer"
