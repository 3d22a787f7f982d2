"""`helpdesk mail ingest|send|outbox` from the command line."""

from __future__ import annotations

import mailbox

import pytest
from mail_servers import smtp_server  # noqa: F401  (fixture)

ADA = "ada@example.com"


def mail(mid: str, subject: str = "Printer") -> str:
    return (f"From: Alice <alice@example.com>\r\nTo: support@acme.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{mid}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIt smokes.\r\n")


@pytest.fixture(autouse=True)
def blobs(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))


def test_ingest_stdin_and_maildir_json(staffed, tmp_path):
    r = staffed("mail", "ingest", "-", "--json", stdin=mail("a@x"))
    assert r.code == 0, r.err
    [first] = r.json()
    assert (first["action"], first["reason"]) == ("created", None) and isinstance(first["ticket"], int)
    md = mailbox.Maildir(tmp_path / "Maildir")
    md.add(mail("b@x").encode())
    md.add(mail("a@x").encode())
    r = staffed("mail", "ingest", str(tmp_path / "Maildir"), "--json")
    assert sorted((d["action"], d["reason"]) for d in r.json()) == [("created", None), ("ignored", "duplicate")]


def test_ingest_bad_path_is_invalid(staffed, tmp_path):
    r = staffed("mail", "ingest", str(tmp_path / "nope"))
    assert r.code == 5 and "no such file" in r.err


def test_send_and_outbox(staffed, smtp_server):
    url, inbox = smtp_server
    assert staffed("config", "set", "mail.from", "support@acme.test", who=ADA).code == 0
    assert staffed("config", "set", "mail.smtp_url", url, who=ADA).code == 0
    staffed("mail", "ingest", "-", stdin=mail("a@x"))
    queued = staffed("mail", "outbox", "--json").json()
    assert [(o["kind"], o["status"], o["to"]) for o in queued] == [("ack", "queued", "alice@example.com")]
    r = staffed("mail", "send", "--json")
    assert r.code == 0 and r.json()["sent"] == 1 and len(inbox.messages) == 1
    assert staffed("mail", "outbox", "--status", "sent", "--json").json()[0]["status"] == "sent"
    assert staffed("mail", "outbox").code == 0
