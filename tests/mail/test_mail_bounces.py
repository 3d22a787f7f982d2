from mail_raw import raw, word

from helpdesk.mail import parse_message, should_not_autoreply

DSN = raw(
    "From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>",
    "To: support@acme.test",
    "Subject: Undelivered Mail Returned to Sender",
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
    "",
    "--R",
    "Content-Type: text/plain",
    "",
    "I'm sorry to have to inform you that your message could not be delivered.",
    "--R",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.acme.test",
    "Arrival-Date: Mon,  5 Jan 2026 10:00:00 +0800",
    "",
    "Final-Recipient: rfc822; Nobody@Example.COM",
    "Original-Recipient: rfc822;nobody@example.com",
    "Action: failed",
    "Status: 5.1.1",
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected",
    "",
    "--R",
    "Content-Type: message/rfc822",
    "",
    "From: Support <support@acme.test>",
    "To: nobody@example.com",
    f"Subject: {word('[#12] 回复')}",
    "Message-ID: <reply-42@acme.test>",
    "",
    "Your ticket was updated.",
    "--R--",
    "",
)

QMAIL = raw(
    "From: MAILER-DAEMON@mail.example.net",
    "To: support@acme.test",
    "Subject: failure notice",
    "",
    "Hi. This is the qmail-send program at mail.example.net.",
    "I'm afraid I wasn't able to deliver your message to the following addresses.",
    "This is a permanent error; I've given up. Sorry it didn't work out.",
    "",
    "<gone@example.net>:",
    "Sorry, no mailbox here by that name. (#5.1.1)",
    "",
    "--- Below this line is a copy of the message.",
    "",
    "Return-Path: <support@acme.test>",
    "From: Support <support@acme.test>",
    "Subject: [#77] Your printer",
    "Message-ID: <reply-77@acme.test>",
    "",
    "We replaced the toner.",
)


def test_dsn_bounce():
    parsed = parse_message(DSN)
    bounce = parsed.bounce
    assert bounce is not None
    assert bounce.original_message_id == "reply-42@acme.test"
    assert bounce.original_subject == "[#12] 回复"
    assert bounce.recipient == "nobody@example.com"
    assert (bounce.status, bounce.action) == ("5.1.1", "failed")
    assert parse_message(DSN.replace(b"Status: 5.1.1", b"Status: 5.1.1 (bad mailbox)")).bounce.status == "5.1.1"
    assert bounce.diagnostic.startswith("550 5.1.1")
    assert should_not_autoreply(parsed) is not None


def test_dsn_with_only_the_original_headers():
    parsed = parse_message(DSN.replace(b"Content-Type: message/rfc822", b"Content-Type: text/rfc822-headers"))
    assert parsed.bounce.original_message_id == "reply-42@acme.test"


def test_qmail_plain_bounce():
    parsed = parse_message(QMAIL)
    bounce = parsed.bounce
    assert bounce is not None
    assert bounce.original_message_id == "reply-77@acme.test"
    assert bounce.original_subject == "[#77] Your printer"
    assert bounce.recipient == "gone@example.net"
    assert bounce.status == "5.1.1"
    assert bounce.diagnostic == "Sorry, no mailbox here by that name. (#5.1.1)"
    assert parsed.no_reply_sender
    assert "bounce" in should_not_autoreply(parsed)


def test_exim_plain_bounce_with_attached_original():
    parsed = parse_message(raw(
        "From: Mail Delivery System <Mailer-Daemon@exim.example.org>",
        "Subject: Mail delivery failed: returning message to sender",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="E"',
        "",
        "--E",
        "Content-Type: text/plain",
        "",
        "This message was created automatically by mail delivery software.",
        "",
        "A message that you sent could not be delivered to one or more of its",
        "recipients. This is a permanent error. The following address(es) failed:",
        "",
        "  bob@example.org",
        "    SMTP error from remote mail server after RCPT TO:<bob@example.org>:",
        "    550 5.1.1 User unknown",
        "",
        "--E",
        "Content-Type: message/rfc822",
        "",
        "Message-ID: <reply-9@acme.test>",
        "Subject: hello",
        "",
        "hi",
        "--E--",
    ))
    assert parsed.bounce.original_message_id == "reply-9@acme.test"
    assert parsed.bounce.recipient == "bob@example.org"
    assert parsed.bounce.status == "5.1.1"


def test_daemon_mail_without_an_original_is_not_a_bounce():
    parsed = parse_message(raw("From: MAILER-DAEMON@mx.test", "Subject: status", "", "queue report"))
    assert parsed.bounce is None
    assert parsed.no_reply_sender


def test_a_person_quoting_a_bounce_is_not_a_bounce():
    body = QMAIL.split(b"\r\n\r\n", 1)[1]
    parsed = parse_message(raw("From: alice@example.com", "Subject: why?", "", body))
    assert parsed.bounce is None
