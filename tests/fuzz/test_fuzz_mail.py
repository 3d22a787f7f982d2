"""Fuzzing mail: random and mutated RFC 822 messages through the parser and intake.

Bad encodings, invalid UTF-8, huge headers, deep multiparts, bogus charsets and
transfer encodings, raw control characters and markup. The parser never raises; intake
files each message (a ticket, a reply, or "ignored" with a reason) and never crashes;
what it stores is plain text a database takes (no NUL, no lone surrogate) and shows
literally."""

from __future__ import annotations

import base64
import itertools
import quopri
from datetime import UTC, datetime, timedelta

import pytest
from fuzz_support import bounded, fuzz, hostile_text
from hypothesis import example, given
from hypothesis import strategies as st

from helpdesk.mail import parse_message
from helpdesk.mail.model import ParsedMail

CHARSETS = ["utf-8", "UTF-8", "gb2312", "gbk", "gb18030", "big5", "iso-2022-jp", "shift_jis", "cp1252",
            "latin-1", "utf-16", "utf-7", "x-unknown", "", "utf-8\x00", "utf8;", "'", "unicode-1-1-utf-7",
            "x" * 300, "us-ascii", "koi8-r", "euc-kr", "hz-gb-2312", "idna", "rot13", "base64", "zlib_codec"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "uuencode", "BASE64 ", "gzip", ""]
TYPES = ["text/plain", "text/html", "text/enriched", "application/octet-stream", "message/rfc822",
         "message/delivery-status", "image/png", "text/calendar", "multipart/alternative", "text"]


def encode(data: bytes, how: str) -> bytes:
    if how.strip().lower() == "base64":
        return base64.encodebytes(data)
    if how == "quoted-printable":
        return quopri.encodestring(data)
    return data


text_bytes = st.one_of(
    hostile_text(max_pieces=6).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.sampled_from([b"\xff\xfe\x00", b"\xc3\x28", b"\xe4\xbd", b"=?utf-8?B?!!!?=", b"=?x?Q?=FF=FE?=", b"\x1b[31m",
                     b"[bold]x[/bold]", b"<script>alert(1)</script>", "退款".encode("gb2312"), b"\r\n.\r\n"]),
)


@st.composite
def header_value(draw) -> bytes:
    raw = draw(text_bytes)
    how = draw(st.sampled_from(["raw", "raw", "b", "q", "huge", "folded"]))
    charset = draw(st.sampled_from(CHARSETS))
    if how == "b":
        return f"=?{charset}?B?{base64.b64encode(raw).decode()}?=".encode("utf-8", "surrogatepass")
    if how == "q":
        return f"=?{charset}?Q?".encode("utf-8", "surrogatepass") + quopri.encodestring(raw, header=True).replace(b"\n", b"") + b"?="
    if how == "huge":
        return raw * draw(st.integers(100, 3000)) + b"x" * draw(st.integers(0, 100_000))
    if how == "folded":
        return raw + b"\r\n\t" + raw + b"\r\n "
    return raw.replace(b"\r\n", b" ")


@st.composite
def part(draw, depth: int) -> bytes:
    ctype = draw(st.sampled_from(TYPES if depth > 0 else [t for t in TYPES if not t.startswith("multipart")]))
    charset = draw(st.sampled_from(CHARSETS))
    cte = draw(st.sampled_from(ENCODINGS))
    head = [b"Content-Type: " + ctype.encode() + b"; charset=\"" + charset.encode("utf-8", "surrogatepass") + b"\""]
    if draw(st.booleans()):
        name = draw(header_value())[:300]
        head.append(b'Content-Disposition: attachment; filename="' + name.replace(b'"', b"") + b'"')
    if ctype.startswith("multipart"):
        boundary = draw(st.sampled_from(["B1", "B2", "", "a b", "x" * 80, "==", "B1"]))
        head[0] = f'Content-Type: {ctype}; boundary="{boundary}"'.encode()
        children = draw(st.lists(part(depth - 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        return b"\r\n".join(head) + b"\r\n\r\n" + body
    if ctype == "message/rfc822" and depth > 0:
        return b"\r\n".join(head) + b"\r\n\r\n" + draw(message(depth - 1))
    head.append(b"Content-Transfer-Encoding: " + cte.encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + encode(draw(text_bytes), cte)


SENDERS = [b"alice@example.com", b"Alice <alice@example.com>", b'"[bold]Eve\x1b[31m" <eve@example.com>',
           b"=?utf-8?B?4oCu?= <rlo@example.com>", b"<>", b"", b"@", b"a@b@c", b"\xff@example.com",
           b"undisclosed-recipients:;", b"mallory@example.com (comment \x00)", b"x" * 500 + b"@example.com"]


@st.composite
def message(draw, depth: int = 3) -> bytes:
    headers = []
    if draw(st.integers(0, 9)):
        headers.append(b"From: " + draw(st.sampled_from(SENDERS) | header_value()))
    headers.append(b"Subject: " + draw(header_value()))
    for name in draw(st.lists(st.sampled_from(["Message-ID", "In-Reply-To", "References", "Date", "To", "Cc",
                                               "Reply-To", "Auto-Submitted", "Precedence", "X-Loop",
                                               "Return-Path", "MIME-Version", "Content-Type"]), max_size=4)):
        headers.append(name.encode() + b": " + draw(header_value() | st.sampled_from(
            [b"<a@b>", b"<>", b"<" + b"x" * 2000 + b">", b"auto-replied", b"bulk", b"Thu, 31 Feb 2026 25:61:00 +9999",
             b"multipart/mixed", b"text/plain; charset=\"\xff\""])))
    body = draw(part(depth))
    return b"\r\n".join(headers) + b"\r\n" + body


@st.composite
def mail(draw) -> bytes:
    """A message, now and then with its bytes damaged: a byte flipped, cut short, a NUL, bare LFs."""
    raw = draw(message())
    how = draw(st.sampled_from(["none", "none", "flip", "cut", "nul", "crlf"]))
    if how == "none" or not raw:
        return raw
    at = draw(st.integers(0, len(raw) - 1))
    if how == "flip":
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1:]
    if how == "cut":
        return raw[:at]
    if how == "nul":
        return raw[:at] + b"\x00" + raw[at:]
    return raw.replace(b"\r\n", b"\n")


def is_storable(text: str | None) -> bool:
    """Text every backend stores as it is: no NUL (PostgreSQL refuses it), no lone surrogate."""
    if text is None:
        return True
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


@fuzz(300, deadline_ms=5000)
@given(mail())
@example(b"From: a@b\r\nSubject: \xff\x00\x1b[31m\r\n\r\n\xc3\x28")
def test_the_parser_reads_anything(raw):
    with bounded("mail: parse"):
        parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMail)
    for text in (parsed.subject, parsed.body_text, parsed.visible_text, parsed.from_name, parsed.from_addr):
        assert text is None or isinstance(text, str)
    assert all(is_storable(p) for p in parsed.problems)


@pytest.fixture(scope="module")
def mail_desk(tmp_path_factory):
    from helpdesk.db import open_desk
    from helpdesk.services.core.actors import ANONYMOUS
    from helpdesk.services.people import agents

    desk = open_desk(str(tmp_path_factory.mktemp("mail-fuzz") / "desk.db"))
    desk.write(lambda s: agents.add_agent(s, ANONYMOUS, "ada@example.com", "Ada Admin"))
    yield desk, tmp_path_factory.mktemp("mail-files")
    desk.close()


HOURS = itertools.count()


@fuzz(120, deadline_ms=30_000)
@given(st.lists(mail(), min_size=1, max_size=3))
def test_intake_files_every_message_and_stores_plain_text(mail_desk, raws):
    from sqlalchemy import select

    from helpdesk.models import Message, Ticket
    from helpdesk.services.mail.intake import ingest_all

    desk, root = mail_desk
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=2 * next(HOURS))  # past the sender's rate limit
    with bounded("mail: ingest"):
        results = ingest_all(desk, raws, root=root, now=now)
    assert len(results) == len(raws)
    assert all(r.action in ("created", "appended", "rated", "ignored") for r in results)
    with desk.read() as s:
        for result in results:
            if result.ticket is None:
                continue
            ticket = s.get(Ticket, result.ticket)
            assert ticket is not None and is_storable(ticket.subject)
            for m in s.exec(select(Message).where(Message.ticket_id == ticket.id)).scalars():
                assert is_storable(m.body), repr(m.body[:200])
