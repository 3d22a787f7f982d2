import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mail_raw import b64, raw

from helpdesk.mail import (
    collapse_quotes,
    html_to_text,
    parse_message,
    safe_filename,
    ticket_tag,
)
from helpdesk.mail.model import ParsedMail

HEAD = ("From: a@example.com", "Subject: s", "MIME-Version: 1.0")


def _is_parsed(parsed: ParsedMail) -> None:
    assert isinstance(parsed, ParsedMail)
    assert isinstance(parsed.body_text, str) and isinstance(parsed.visible_text, str)
    assert all(isinstance(p, str) for p in parsed.problems)


def test_missing_closing_boundary_keeps_what_arrived():
    parsed = parse_message(raw(
        *HEAD,
        'Content-Type: multipart/mixed; boundary="B"',
        "",
        "--B",
        "Content-Type: text/plain",
        "",
        "the text",
        "--B",
        "Content-Type: application/pdf; name=a.pdf",
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"%PDF-1.4 data")[:10],
    ))
    assert parsed.body_text == "the text"
    assert parsed.attachments[0].filename == "a.pdf"
    assert any("cut short" in p for p in parsed.problems)


def test_boundary_never_found_shows_raw_text():
    parsed = parse_message(raw(*HEAD, 'Content-Type: multipart/mixed; boundary="NOPE"', "", "just text"))
    assert "just text" in parsed.body_text
    assert parsed.problems


def test_multipart_without_boundary_parameter():
    parsed = parse_message(raw(*HEAD, "Content-Type: multipart/mixed", "", "text"))
    _is_parsed(parsed)
    assert "text" in parsed.body_text


def test_garbage_bytes():
    for data in (b"", b"\x00\xff\xfe" * 100, b"\r\n\r\n\r\n", b"::::\r\n:\r\n", bytes(range(256)) * 4,
                 b"From: \xff\xfe <\x00@\x01>\r\nSubject: =?x?B?!!!?=\r\n\r\n\xff"):
        _is_parsed(parse_message(data))


def test_not_bytes_is_a_problem_not_a_crash():
    parsed = parse_message("text")  # type: ignore[arg-type]
    assert parsed.problems == ["expected bytes, got str"]


def test_lying_transfer_encoding_and_broken_base64():
    parsed = parse_message(raw(*HEAD, "Content-Type: text/plain", "Content-Transfer-Encoding: base64", "", "!!no@@"))
    _is_parsed(parsed)
    parsed = parse_message(raw(*HEAD, "Content-Type: text/plain", "Content-Transfer-Encoding: x-weird", "", "hello"))
    assert parsed.body_text == "hello"


def test_deep_nesting_is_cut_off_not_crashing():
    depth = 200
    lines = list(HEAD)
    for level in range(depth):
        lines += [f'Content-Type: multipart/mixed; boundary="b{level}"', "", f"--b{level}"]
    lines += ["Content-Type: text/plain", "", "deep"]
    parsed = parse_message(raw(*lines))
    _is_parsed(parsed)


def test_many_attachments_are_capped():
    parts = []
    for i in range(250):
        parts += ["--B", f"Content-Type: application/octet-stream; name=f{i}.bin", "", "x"]
    parsed = parse_message(raw(*HEAD, 'Content-Type: multipart/mixed; boundary="B"', "", *parts, "--B--"))
    assert len(parsed.attachments) == 200
    assert any("dropped" in p for p in parsed.problems)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_parse_message_never_raises_on_arbitrary_bytes(data):
    _is_parsed(parse_message(data))


_MIME_ALPHABET = st.sampled_from([
    b"\r\n", b"\n", b"--B", b"--B--", b"Content-Type: multipart/mixed; boundary=B\r\n",
    b"Content-Type: message/rfc822\r\n", b"Content-Type: text/html; charset=gb2312\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n",
    b"Content-Type: message/delivery-status\r\n", b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n", b"Content-Disposition: attachment; filename*=x''%ff\r\n",
    b"From: MAILER-DAEMON@x\r\n", b"Subject: =?utf-8?B?5L2g?= =?gbk?Q?=C4=E3?=\r\n", b"Final-Recipient: rfc822;a@b\r\n",
    b"<p>", b"<a href='x'>", b"</blockquote>", b"=E4=BD", b"> ", b"On x wrote:\r\n", b"\xff\xfe", b"=?", b"?=",
    b"Message-ID: <\r\n", b"Date: 99 Foo 99999\r\n",
])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MIME_ALPHABET, max_size=60).map(b"".join))
def test_parse_message_never_raises_on_mime_shaped_noise(data):
    _is_parsed(parse_message(data))


@given(st.text(max_size=500))
def test_pure_helpers_never_raise(text):
    assert isinstance(html_to_text(text), str)
    assert isinstance(collapse_quotes(text), str)
    assert isinstance(ticket_tag(text), (int, type(None)))


@given(st.text(max_size=400), st.integers(min_value=1, max_value=999))
def test_safe_filename_properties(name, index):
    safe = safe_filename(name, index)
    assert safe and "/" not in safe and "\\" not in safe
    assert not safe.startswith(".")
    assert not any(ch in safe for ch in map(chr, [*range(32), *range(127, 160)]))
    assert len(safe.encode()) <= 200


@given(st.text(alphabet=string.printable, max_size=200))
def test_visible_text_is_a_part_of_the_text(text):
    visible = collapse_quotes(text)
    assert visible.replace("\r", "") in text.replace("\r\n", "\n").replace("\r", "")


def test_regressions_found_by_fuzzing():
    # an unknown charset that bytes.decode(b"") accepts without looking it up
    assert parse_message(raw(*HEAD, "Content-Type: text/plain; charset=gb", "", "\xc4\xe3".encode("latin-1"))).body_text
    # an encoded-word look-alike holding non-ASCII text
    assert parse_message(raw("Subject: =?utf-8?B?你?=", "", "x")).subject == "=?utf-8?B?你?="
    # a charset parameter with a NUL that makes Message.get_payload() raise
    parsed = parse_message(raw("Content-Type: text/plain; charset=\"a\x00b\"", "", b"\xff body"))
    assert "body" in parsed.body_text
    # an enclosed message the stdlib generator refuses to write back
    inner = "Content-Type: message/rfc822\r\n\r\nTo: a\r\n\tMessage-ID: <x@y>\r\nSubject: s\r\n\r\nb"
    parsed = parse_message(raw(*HEAD, 'Content-Type: multipart/mixed; boundary="B"', "", "--B", inner, "--B--"))
    assert parsed.attachments and not any(p.startswith("could not read") for p in parsed.problems)


def test_hostile_html_is_defused_before_parsing():
    from helpdesk.mail.html_text import _defuse

    assert _defuse("a<b c<d>e</d> 1 < 2 <!-- c -->x<![CDATA[y]]>z<!-- open") == "a&lt;b c<d>e</d> 1 &lt; 2 xz"
    assert html_to_text("<a" * 1000 + "<!--" * 1000 + "<![CDATA[>" * 1000) == "<a" * 1000
    assert html_to_text("<blockquote>" * 100 + "deep") == "> " * 20 + "deep"
