import pytest
from mail_raw import b64, raw, word

from helpdesk.mail import parse_message, safe_filename

HEAD = ("From: a@example.com", "Subject: files", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="B"', "")


def _with_parts(*parts: tuple[str, ...]) -> bytes:
    lines: list[str] = list(HEAD) + ["--B", "Content-Type: text/plain", "", "see attached"]
    for part in parts:
        lines += ["--B", *part]
    return raw(*lines, "--B--", "")


def test_rfc2231_name_with_continuations_and_charset():
    parsed = parse_message(_with_parts((
        "Content-Type: application/pdf",
        "Content-Disposition: attachment;",
        " filename*0*=utf-8''%E5%8F%91%E7%A5%A8;",
        " filename*1*=%E6%8A%AC%E5%A4%B4.pdf",
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"%PDF"),
    )))
    [attachment] = parsed.attachments
    assert attachment.filename == "发票抬头.pdf"
    assert (attachment.content_type, attachment.size, attachment.data) == ("application/pdf", 4, b"%PDF")
    assert parsed.body_text == "see attached"


def test_rfc2231_gb2312_label_with_gbk_characters():
    parsed = parse_message(_with_parts((
        "Content-Type: application/octet-stream",
        "Content-Disposition: attachment; filename*=gb2312''%D6%EC%E9%46.txt",
        "",
        "x",
    )))
    assert parsed.attachments[0].filename == "朱镕.txt"


def test_rfc2047_name_in_content_type():
    parsed = parse_message(_with_parts((
        f'Content-Type: image/png; name="{word("截图 1.png")}"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(b"\x89PNG"),
    )))
    assert parsed.attachments[0].filename == "截图 1.png"
    assert parsed.attachments[0].data == b"\x89PNG"


def test_text_part_with_a_filename_is_an_attachment_not_body():
    parsed = parse_message(_with_parts(("Content-Type: text/csv; name=report.csv", "", "a,b")))
    assert parsed.attachments[0].filename == "report.csv"
    assert parsed.body_text == "see attached"


def test_path_traversal_names_are_made_safe():
    parsed = parse_message(_with_parts(
        ('Content-Type: text/plain; name="../../etc/passwd"', "Content-Disposition: attachment", "", "root"),
        ('Content-Type: application/x-msdownload; name="..\\\\..\\\\win.ini"', "", "x"),
        ('Content-Type: application/octet-stream; name=".bashrc"', "", "x"),
    ))
    assert [a.filename for a in parsed.attachments] == ["passwd", "win.ini", "bashrc"]


def test_oversize_attachment_keeps_size_but_not_data():
    data = b"\0" * 3000
    parsed = parse_message(
        _with_parts(("Content-Type: application/zip; name=big.zip", "Content-Transfer-Encoding: base64", "",
                     b64(data))),
        max_attachment_bytes=1000,
    )
    [big] = parsed.attachments
    assert (big.size, big.data, big.too_large) == (3000, None, True)
    assert any("big.zip" in p and "limit" in p for p in parsed.problems)


def test_forwarded_message_is_an_eml_attachment():
    parsed = parse_message(_with_parts(("Content-Type: message/rfc822", "", "Subject: inner", "", "inner body")))
    [forwarded] = parsed.attachments
    assert forwarded.filename == "attachment-1.eml"
    assert b"inner body" in forwarded.data


@pytest.mark.parametrize(("name", "expected"), [
    ("report.pdf", "report.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\x\\evil.exe", "evil.exe"),
    ("...hidden", "hidden"),
    ("a\x00b\x1b[31mc\r\n.txt", "ab[31mc.txt"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("", "attachment-3"),
    ("../", "attachment-3"),
    ("  . . ", "attachment-3"),
    ("CON.txt", "_CON.txt"),
    ('what?<x>|"y".doc', "what__x___y_.doc"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name, 3) == expected


def test_safe_filename_caps_length_and_keeps_the_extension():
    name = safe_filename("长" * 300 + ".xlsx", 1)
    assert name.endswith(".xlsx")
    assert len(name.encode()) <= 200
