"""A side conversation through the real test mail servers: the mail leaves over SMTP
(aiosmtpd) to the third party only, and their answer comes back over IMAP (Dovecot)
into the side conversation, not into the customer's conversation."""

from __future__ import annotations

import imaplib
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from mail_servers import IMAP_PASSWORD, IMAP_USER, imap_server, smtp_server  # noqa: F401  (fixtures)

from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail import sides
from helpdesk.services.mail.imap import fetch_mail
from helpdesk.services.mail.intake import ingest
from helpdesk.services.mail.outbox import send_due
from helpdesk.services.tickets.lifecycle import NewTicket, create_ticket, get_ticket
from helpdesk.services.tickets.listing import ticket_detail

DESK, WAREHOUSE = "support@acme.test", "warehouse@example.com"


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))
    monkeypatch.setenv("HELPDESK_IMAP_PASSWORD", IMAP_PASSWORD)


def answer(delivered: bytes, body: str) -> bytes:
    sent = message_from_bytes(delivered, policy=policy.default)
    return (f"From: Warehouse <{WAREHOUSE}>\r\nTo: {DESK}\r\nSubject: Re: {sent['Subject']}\r\n"
            f"Message-ID: <answer-1@example.com>\r\nIn-Reply-To: {sent['Message-ID']}\r\n"
            f"References: {sent['Message-ID']}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            ).encode()


def started(desk, crew, smtp_url: str) -> int:
    def setup(s):
        set_setting(s, crew.admin, "mail.from", DESK)
        set_setting(s, crew.admin, "mail.smtp_url", smtp_url)
    desk.write(setup)
    tid = desk.write(lambda s: create_ticket(s, crew.agent, NewTicket(subject="退货 SO-1234", body="请拦截",
                                                                      requester="alice@example.com")).id)
    desk.write(lambda s: sides.start_side(s, crew.agent, tid, [WAREHOUSE, "finance@example.com"], "请拦截包裹"))
    return tid


def test_the_mail_goes_to_the_third_parties_only_and_the_answer_threads_back(desk, crew, smtp_server):
    url, inbox = smtp_server
    tid = started(desk, crew, url)
    assert send_due(desk).sent == 1
    [(sender, rcpts, raw)] = inbox.messages
    assert (sender, sorted(rcpts)) == (DESK, ["finance@example.com", WAREHOUSE])
    result = desk.write(lambda s: ingest(s, answer(raw, "Intercepted.")))
    assert (result.ticket, result.action) == (tid, "appended")
    with desk.read() as s:
        t = ticket_detail(s, get_ticket(s, tid))
    assert [m["body"] for m in t["messages"]] == ["请拦截"]
    assert [m["body"] for m in t["side_conversations"][0]["messages"]] == ["请拦截包裹", "Intercepted."]
    assert send_due(desk).sent == 0  # nothing more went out: no mail to the customer


def test_the_answer_fetched_over_imap(desk, crew, smtp_server, imap_server):
    url, inbox = smtp_server
    tid = started(desk, crew, url)
    send_due(desk)
    client = imaplib.IMAP4("127.0.0.1", urlsplit(imap_server).port)
    client.login(IMAP_USER, IMAP_PASSWORD)
    client.select("INBOX")
    client.append("INBOX", None, None, answer(inbox.messages[0][2], "已拦截"))
    client.logout()
    desk.write(lambda s: set_setting(s, crew.admin, "mail.imap_url", imap_server))
    [result] = fetch_mail(desk)
    assert (result.ticket, result.reason) == (tid, "side conversation #1")
    with desk.read() as s:
        t = ticket_detail(s, get_ticket(s, tid))
    assert t["side_conversations"][0]["messages"][-1]["body"] == "已拦截" and len(t["messages"]) == 1
