"""Inbound mail: threading both ways, follow-ups, duplicates, loop guards, charsets,
attachments, bounces and the per-sender rate limit."""

from __future__ import annotations

import base64
import mailbox
from datetime import timedelta

import pytest
from sqlmodel import select

from helpdesk.models import (
    Attachment,
    MailReceipt,
    Message,
    Outbox,
    Ticket,
    TicketLink,
    utcnow,
)
from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail.intake import ingest, ingest_all, messages_in
from helpdesk.services.tickets.conversation import add_agent_message
from helpdesk.services.tickets.lifecycle import (
    TicketChanges,
    close_ticket,
    update_ticket,
)

DESK = "support@acme.test"


def mail(*, frm="Alice <alice@example.com>", subject="Printer on fire", mid="m1@example.com", body="It smokes.",
         extra=(), cc=None) -> bytes:
    lines = [f"From: {frm}", f"To: {DESK}", f"Subject: {subject}", f"Message-ID: <{mid}>",
             "Date: Mon, 05 Jan 2026 10:00:00 +0800", *extra]
    if cc:
        lines.append(f"Cc: {cc}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "", body]
    return "\r\n".join(lines).encode("utf-8")


@pytest.fixture(autouse=True)
def blobs(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))
    return tmp_path / "blobs"


@pytest.fixture
def mailing(desk, crew):
    desk.write(lambda s: set_setting(s, crew.admin, "mail.from", DESK))
    return desk


def take(desk, raw, **kw):
    return desk.write(lambda s: ingest(s, raw, **kw))


def outbox(desk):
    with desk.read() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def messages(desk, ticket_id):
    with desk.read() as s:
        return list(s.exec(select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)))


def test_new_mail_opens_ticket_with_decoded_sender_and_ack(mailing):
    r = take(mailing, mail(frm="=?utf-8?B?5byg5LiJ?= <Zhang@Example.com>", subject="=?gb2312?B?zfi/qA==?="))
    assert (r.action, r.reason) == ("created", None)
    with mailing.read() as s:
        t = s.get(Ticket, r.ticket)
        assert (t.channel, t.subject) == ("email", "网卡")
        from helpdesk.models import Contact
        c = s.get(Contact, t.requester_id)
        assert (c.email, c.name) == ("zhang@example.com", "张三")
    [first] = messages(mailing, r.ticket)
    assert first.mail_message_id == "m1@example.com" and first.body == "It smokes."
    [ack] = outbox(mailing)
    assert ack.kind == "ack" and ack.to_addr == "zhang@example.com" and f"[#{r.ticket}]" in ack.subject
    assert b"In-Reply-To: <m1@example.com>" in ack.raw and b"Auto-Submitted:" in ack.raw


def test_reply_threads_by_message_id_of_our_mail_and_of_theirs(mailing, crew):
    n = take(mailing, mail()).ticket
    ack = outbox(mailing)[0]
    r = take(mailing, mail(mid="m2@example.com", subject="Re: something", extra=[f"In-Reply-To: <{ack.mail_message_id}>"]))
    assert (r.ticket, r.action) == (n, "appended")
    r = take(mailing, mail(frm="other@example.com", mid="m3@example.com", subject="fwd", extra=["References: <m1@example.com>"]))
    assert (r.ticket, r.action) == (n, "appended")
    assert [m.mail_message_id for m in messages(mailing, n)] == ["m1@example.com", "m2@example.com", "m3@example.com"]


def test_agent_reply_is_mailed_threaded_and_notes_are_not(mailing, crew):
    n = take(mailing, mail()).ticket
    mailing.write(lambda s: add_agent_message(s, crew.agent, n, "Internal: call facilities", kind="note"))
    mailing.write(lambda s: add_agent_message(s, crew.agent, n, "Unplug it please."))
    kinds = [o.kind for o in outbox(mailing)]
    assert kinds == ["ack", "reply"]
    reply = outbox(mailing)[1]
    assert b"In-Reply-To: <m1@example.com>" in reply.raw and b"Unplug it please." in reply.raw
    assert b"Internal" not in reply.raw and b"Auto-Submitted" not in reply.raw


def test_subject_tag_threads_only_for_people_of_the_ticket(mailing, crew):
    n = take(mailing, mail(cc="carol@example.com")).ticket
    assert take(mailing, mail(mid="a@x", subject=f"Re: [#{n}] Printer")).action == "appended"
    assert take(mailing, mail(frm="carol@example.com", mid="b@x", subject=f"[#{n}] me too")).ticket == n
    assert take(mailing, mail(frm="bob@example.com", mid="c@x", subject=f"[#{n}] by mail")).ticket == n
    stranger = take(mailing, mail(frm="mallory@evil.test", mid="d@x", subject=f"[#{n}] hijack"))
    assert stranger.action == "created" and stranger.ticket != n


def test_agent_answering_by_mail_is_a_public_reply(mailing, crew):
    n = take(mailing, mail()).ticket
    take(mailing, mail(frm="bob@example.com", mid="c@x", subject=f"Re: [#{n}] Printer", body="On my way"))
    last = messages(mailing, n)[-1]
    assert last.author_agent_id == crew.agent.agent_id and last.mail_message_id == "c@x"
    assert outbox(mailing)[-1].kind == "reply"


def test_closed_ticket_gets_linked_follow_up(mailing, crew):
    n = take(mailing, mail()).ticket
    mailing.write(lambda s: close_ticket(s, crew.agent, n))
    r = take(mailing, mail(mid="m2@example.com", extra=["In-Reply-To: <m1@example.com>"]))
    assert r.action == "created" and r.ticket != n and r.reason == f"follow-up to closed #{n}"
    with mailing.read() as s:
        assert s.get(TicketLink, (r.ticket, n)) is not None


def test_duplicate_message_id_is_ignored(mailing):
    assert take(mailing, mail()).action == "created"
    r = take(mailing, mail())
    assert (r.action, r.reason) == ("ignored", "duplicate")
    with mailing.read() as s:
        assert len(s.exec(select(Ticket)).all()) == 1


def test_a_fetcher_that_missed_anothers_receipt_still_files_the_mail_once(mailing, monkeypatch):
    """Two apps on a shared desk read one unseen message: the second one's look for the
    receipt ran before the first committed. Its own receipt (unique Message-ID) stops it."""
    from helpdesk.services.mail import intake

    assert take(mailing, mail()).action == "created"
    monkeypatch.setattr(intake, "_seen", lambda session, message_id: False)
    r = take(mailing, mail())
    assert (r.action, r.reason) == ("ignored", "duplicate")
    with mailing.read() as s:
        assert len(s.exec(select(Ticket)).all()) == 1
        receipts = s.exec(select(MailReceipt)).all()
        assert [(m.mail_message_id, m.action) for m in receipts] == [("m1@example.com", "created")]


def test_two_fetchers_at_once_on_postgresql_file_the_mail_once(mailing):
    """The real race: the second transaction's receipt waits on the first one's, then
    finds the Message-ID taken when the first commits."""
    import threading
    import time

    from sqlalchemy import text

    if mailing.backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second fetcher starts after the first commits")
    take(mailing, mail(mid="known@example.com", subject="An earlier one"))  # alice is a known requester
    first, created = mailing.begin(lambda s: ingest(s, mail()))  # filed, not committed
    second: list = []
    racer = threading.Thread(target=lambda: second.append(take(mailing, mail())))
    racer.start()
    deadline = time.monotonic() + 30
    with mailing.engine.connect() as watch:  # until the racer waits on the first one's receipt
        while not watch.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar():
            assert time.monotonic() < deadline and racer.is_alive(), second
            watch.rollback()
    first.commit()
    first.close()
    racer.join(30)
    assert created.action == "created" and (second[0].action, second[0].reason) == ("ignored", "duplicate")
    with mailing.read() as s:
        assert len(s.exec(select(Ticket)).all()) == 2


@pytest.mark.parametrize("header", ["Auto-Submitted: auto-replied", "Precedence: bulk", "List-Id: <x.lists.test>"])
def test_no_automatic_mail_to_robots(mailing, crew, header):
    n = take(mailing, mail(extra=[header])).ticket
    assert outbox(mailing) == []
    mailing.write(lambda s: update_ticket(s, crew.agent, n, TicketChanges(status="solved")))
    assert outbox(mailing) == []  # no solved notice either
    mailing.write(lambda s: add_agent_message(s, crew.agent, n, "A human answer still goes."))
    assert [o.kind for o in outbox(mailing)] == ["reply"]


def test_our_own_mail_coming_back_is_ignored(mailing):
    r = take(mailing, mail(extra=[f"X-Loop: {DESK}"]))
    assert (r.action, r.reason) == ("ignored", "loop (our own X-Loop)")


def test_solved_notice_and_reply_reopens(mailing, crew):
    n = take(mailing, mail()).ticket
    mailing.write(lambda s: update_ticket(s, crew.agent, n, TicketChanges(status="solved")))
    notice = outbox(mailing)[-1]
    assert notice.kind == "solved" and b"Auto-Submitted" in notice.raw
    take(mailing, mail(mid="m2@example.com", extra=[f"In-Reply-To: <{notice.mail_message_id}>"]))
    with mailing.read() as s:
        assert s.get(Ticket, n).status == "open"


def test_rate_limit_per_sender(mailing):
    now = utcnow()
    results = [take(mailing, mail(mid=f"r{i}@x", subject=f"auto {i}"), now=now, rate_limit=3) for i in range(5)]
    assert [r.action for r in results] == ["created"] * 3 + ["ignored"] * 2
    assert results[-1].reason == "rate limited"
    later = take(mailing, mail(mid="r9@x"), now=now + timedelta(hours=2), rate_limit=3)
    assert later.action == "created"


def test_bounce_becomes_note_on_its_ticket(mailing):
    n = take(mailing, mail()).ticket
    ack = outbox(mailing)[0]
    bounce = "\r\n".join([
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>", f"To: {DESK}", "Subject: Undelivered Mail",
        "Message-ID: <bounce1@mx>", "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"', "",
        "--B", "Content-Type: text/plain", "", "Delivery failed.", "--B",
        "Content-Type: message/delivery-status", "", "Reporting-MTA: dns; mx.example.com", "",
        "Final-Recipient: rfc822; alice@example.com", "Action: failed", "Status: 5.1.1",
        "Diagnostic-Code: smtp; 550 5.1.1 no such user", "", "--B", "Content-Type: text/rfc822-headers", "",
        f"Message-ID: <{ack.mail_message_id}>", f"Subject: {ack.subject}", "", "--B--", ""]).encode()
    r = take(mailing, bounce)
    assert (r.ticket, r.action, r.reason) == (n, "appended", "bounce")
    note = messages(mailing, n)[-1]
    assert note.kind == "note" and "5.1.1" in note.body
    unknown = take(mailing, bounce.replace(ack.mail_message_id.encode(), b"nobody@else").replace(b"bounce1", b"bounce2"))
    assert (unknown.action, unknown.reason) == ("ignored", "bounce of mail we did not send")


def test_attachments_stored_by_hash_with_safe_names(mailing, blobs):
    data = b"%PDF-1.4 invoice"
    raw = "\r\n".join([
        "From: alice@example.com", f"To: {DESK}", "Subject: invoice", "Message-ID: <att@x>", "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="B"', "", "--B", "Content-Type: text/plain; charset=utf-8", "",
        "See attached.", "--B", 'Content-Type: application/pdf; name="../../etc/passwd.pdf"',
        'Content-Disposition: attachment; filename="../../etc/passwd.pdf"', "Content-Transfer-Encoding: base64", "",
        base64.b64encode(data).decode(), "--B--", ""]).encode()
    r = take(mailing, raw)
    with mailing.read() as s:
        [att] = s.exec(select(Attachment)).all()
    import hashlib
    digest = hashlib.sha256(data).hexdigest()
    assert (att.filename, att.size, att.sha256) == ("passwd.pdf", len(data), digest)
    assert att.path == str(blobs / digest[:2] / digest) and (blobs / digest[:2] / digest).read_bytes() == data
    assert r.action == "created"


def test_sources_maildir_mbox_file_and_ingest_all(mailing, tmp_path):
    md = mailbox.Maildir(tmp_path / "Maildir")
    for i in range(3):
        md.add(mail(mid=f"md{i}@x", subject=f"maildir {i}"))
    box = mailbox.mbox(tmp_path / "box.mbox")
    box.add(mail(mid="mb@x", subject="mbox one"))
    box.flush()
    (tmp_path / "one.eml").write_bytes(mail(mid="f@x"))
    raws = [raw for src in (str(tmp_path / "Maildir"), str(tmp_path / "box.mbox"), str(tmp_path / "one.eml"))
            for _label, raw in messages_in(src)]
    results = ingest_all(mailing, raws, chunk=2)
    assert [r.action for r in results] == ["created"] * 5
    with mailing.read() as s:
        assert len(s.exec(select(MailReceipt)).all()) == 5


def test_broken_mail_never_raises(mailing):
    r = take(mailing, b"\x00\xff garbage without headers")
    assert (r.action, r.reason) == ("ignored", "no sender address")


def test_migration_0014_keeps_receipts_a_race_filed_twice(tmp_path):
    """A desk whose receipts share a Message-ID (filed twice before the index was unique)
    upgrades: every receipt stays, the later one's Message-ID moves into its reason."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from helpdesk.db import alembic_config

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config()
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "0013")
    with engine.begin() as conn:
        for mid, action in (("a@x", "created"), ("a@x", "created"), ("b@x", "appended"), (None, "ignored"),
                            (None, "ignored")):
            conn.execute(text("INSERT INTO mail_receipt (mail_message_id, sender, received_at, action) "
                              "VALUES (:mid, 's@x', '2026-03-02 01:00:00', :action)"), {"mid": mid, "action": action})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT id, mail_message_id, reason FROM mail_receipt ORDER BY id"))]
    assert rows == [(1, "a@x", None), (2, None, "(filed again by a concurrent fetch; Message-ID a@x)"),
                    (3, "b@x", None), (4, None, None), (5, None, None)]
    engine.dispose()
