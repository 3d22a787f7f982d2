"""`mail fetch` against a real Dovecot on loopback: takes unseen mail once, marks it \\Seen."""

from __future__ import annotations

import imaplib
from urllib.parse import urlsplit

import pytest
from mail_servers import IMAP_PASSWORD, IMAP_USER, imap_server  # noqa: F401  (fixture)

from helpdesk.errors import Invalid
from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail.imap import fetch_mail


def mail(mid: str, subject: str) -> bytes:
    return (f"From: Alice <alice@example.com>\r\nTo: support@acme.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{mid}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n").encode()


def mailbox_client(url: str) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", urlsplit(url).port)
    client.login(IMAP_USER, IMAP_PASSWORD)
    client.select("INBOX")
    return client


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))
    monkeypatch.setenv("HELPDESK_IMAP_PASSWORD", IMAP_PASSWORD)


def test_fetch_files_unseen_mail_and_marks_it(desk, crew, imap_server):
    client = mailbox_client(imap_server)
    client.append("INBOX", None, None, mail("i1@x", "First"))
    client.append("INBOX", "(\\Seen)", None, mail("i0@x", "Already read"))
    client.append("INBOX", None, None, mail("i2@x", "Second"))
    desk.write(lambda s: set_setting(s, crew.admin, "mail.imap_url", imap_server))
    results = fetch_mail(desk)
    assert [(r.action, r.message_id) for r in results] == [("created", "i1@x"), ("created", "i2@x")]
    client.noop()  # another session changed the flags: catch up
    assert client.uid("SEARCH", None, "UNSEEN")[1] == [b""]
    assert fetch_mail(desk) == []
    client.logout()


def test_wrong_password_is_an_error(desk, crew, imap_server, monkeypatch):
    monkeypatch.setenv("HELPDESK_IMAP_PASSWORD", "wrong")
    with pytest.raises(imaplib.IMAP4.error):
        fetch_mail(desk, url=imap_server)


def test_missing_settings_are_invalid(desk, monkeypatch):
    with pytest.raises(Invalid, match="mail.imap_url"):
        fetch_mail(desk)
    monkeypatch.delenv("HELPDESK_IMAP_PASSWORD")
    with pytest.raises(Invalid, match="HELPDESK_IMAP_PASSWORD"):
        fetch_mail(desk, url="imaps://me@127.0.0.1/INBOX")


def test_worker_job(desk, crew, imap_server):
    from helpdesk.services.mail.imap import fetch_job

    assert "skipped" in fetch_job(desk)
    client = mailbox_client(imap_server)
    client.append("INBOX", None, None, mail("j1@x", "Job"))
    client.logout()
    desk.write(lambda s: set_setting(s, crew.admin, "mail.imap_url", imap_server))
    assert fetch_job(desk) == {"created": 1, "appended": 0, "ignored": 0}
