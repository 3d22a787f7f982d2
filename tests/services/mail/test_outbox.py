"""Sending the outbox over a real SMTP server (aiosmtpd on loopback): delivery,
retries with back-off while the server is down, permanent refusals, templates."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes

import pytest
from mail_servers import free_port, smtp_server  # noqa: F401  (fixture)
from sqlmodel import select

from helpdesk.errors import Invalid
from helpdesk.models import Outbox, utcnow
from helpdesk.services.core.settings import set_setting
from helpdesk.services.mail import templates as mail_templates
from helpdesk.services.mail.intake import ingest
from helpdesk.services.mail.outbox import MAX_ATTEMPTS, backoff, send_due

DESK = "support@acme.test"


def mail(mid="m1@example.com", subject="Printer on fire") -> bytes:
    return (f"From: Alice <alice@example.com>\r\nTo: {DESK}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nIt smokes.\r\n").encode()


@pytest.fixture(autouse=True)
def blobs(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_ATTACHMENTS", str(tmp_path / "blobs"))


def configure(desk, admin, **settings):
    def write(s):
        for key, value in settings.items():
            set_setting(s, admin, key.replace("__", "."), value)
    desk.write(write)


def rows(desk):
    with desk.read() as s:
        return list(s.exec(select(Outbox).order_by(Outbox.id)))


def test_ack_delivered_over_smtp(desk, crew, smtp_server):
    url, inbox = smtp_server
    configure(desk, crew.admin, mail__from=DESK, mail__smtp_url=url, desk__name="Acme Support")
    n = desk.write(lambda s: ingest(s, mail())).ticket
    report = send_due(desk)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [(sender, rcpts, raw)] = inbox.messages
    assert (sender, rcpts) == (DESK, ["alice@example.com"])
    msg = message_from_bytes(raw)
    assert msg["Subject"] == f"[#{n}] Printer on fire" and msg["In-Reply-To"] == "<m1@example.com>"
    assert "Acme Support" in msg["From"]
    [row] = rows(desk)
    assert (row.status, row.attempts, row.sent_at is not None) == ("sent", 1, True)
    assert send_due(desk).sent == 0  # nothing twice


def test_server_down_retries_with_backoff_then_fails(desk, crew):
    configure(desk, crew.admin, mail__from=DESK, mail__smtp_url=f"smtp://127.0.0.1:{free_port()}")
    desk.write(lambda s: ingest(s, mail()))
    now = utcnow()
    report = send_due(desk, now=now)
    assert (report.sent, report.retrying) == (0, 1) and "ConnectionRefusedError" in report.errors[0]
    [row] = rows(desk)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 1, now + backoff(1))
    assert send_due(desk, now=now).retrying == 0  # not due yet
    for attempt in range(2, MAX_ATTEMPTS + 1):
        send_due(desk, now=now + timedelta(days=attempt))
    [row] = rows(desk)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS) and row.last_error


def test_queued_mail_survives_until_server_is_back(desk, crew, smtp_server):
    url, inbox = smtp_server
    configure(desk, crew.admin, mail__from=DESK, mail__smtp_url=f"smtp://127.0.0.1:{free_port()}")
    desk.write(lambda s: ingest(s, mail()))
    now = utcnow()
    send_due(desk, now=now)
    configure(desk, crew.admin, mail__smtp_url=url)
    assert send_due(desk, now=now + timedelta(minutes=5)).sent == 1 and len(inbox.messages) == 1


def test_permanent_refusal_fails_at_once(desk, crew, smtp_server):
    url, inbox = smtp_server
    inbox.refuse = 550
    configure(desk, crew.admin, mail__from=DESK, mail__smtp_url=url)
    desk.write(lambda s: ingest(s, mail()))
    assert send_due(desk).failed == 1
    assert rows(desk)[0].status == "failed" and "550" in rows(desk)[0].last_error


def test_backoff_grows_and_is_capped():
    assert [backoff(a).total_seconds() for a in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=2)


def test_send_without_settings_is_invalid(desk, crew):
    configure(desk, crew.admin, mail__from=DESK)
    desk.write(lambda s: ingest(s, mail()))
    with pytest.raises(Invalid, match="mail.smtp_url"):
        send_due(desk)


def test_nothing_queued_until_mail_from_is_set(desk, crew):
    desk.write(lambda s: ingest(s, mail()))
    assert rows(desk) == []


def test_templates_chinese_defaults_and_overrides(desk, crew):
    configure(desk, crew.admin, mail__from=DESK, mail__language="zh-CN")
    desk.write(lambda s: ingest(s, mail()))
    body = rows(desk)[0].raw
    assert "已创建工单".encode() not in body  # quoted-printable/base64 on the wire
    from email import policy
    text = message_from_bytes(body, policy=policy.default).get_content()
    assert "已创建工单" in text
    configure(desk, crew.admin, mail__template__ack="Got it, $name: #$ticket. $unknown",
              mail__template__ack_subject="Received: $subject")
    n = desk.write(lambda s: ingest(s, mail(mid="m2@x", subject="Other"))).ticket
    row = rows(desk)[-1]
    assert row.subject == f"[#{n}] Received: Other"
    assert f"Got it, Alice: #{n}. $unknown" in message_from_bytes(row.raw, policy=policy.default).get_content()


def test_header_injection_in_subject_is_harmless(desk, crew):
    configure(desk, crew.admin, mail__from=DESK)
    desk.write(lambda s: ingest(s, mail(subject="=?utf-8?B?aGkNCkJjYzogZXZpbEB4LnRlc3Q=?=")))
    raw = rows(desk)[0].raw
    assert b"\r\nBcc:" not in raw


def test_template_names_cover_every_language():
    assert all(set(t) == set(mail_templates.NAMES) for t in mail_templates.DEFAULTS.values())


def test_worker_job_skips_until_configured_then_sends(desk, crew, smtp_server):
    from helpdesk.services.mail.outbox import send_job

    assert "skipped" in send_job(desk)
    url, inbox = smtp_server
    configure(desk, crew.admin, mail__from=DESK, mail__smtp_url=url)
    desk.write(lambda s: ingest(s, mail()))
    assert send_job(desk) == {"sent": 1, "retrying": 0, "failed": 0}
