from datetime import datetime, timezone

from mail_raw import b64, raw, word

from helpdesk.mail import parse_message
from helpdesk.mail.headers import decode_words, message_ids


def _headers_only(*headers: str | bytes) -> bytes:
    return raw(*headers, "", "body")


def test_b_and_q_encoded_subject():
    parsed = parse_message(_headers_only(
        "From: a@example.com",
        "Subject: =?UTF-8?B?5omT5Y2w5py6?= =?iso-8859-1?Q?caf=E9_cr=E8me?=",
    ))
    assert parsed.subject == "打印机café crème"


def test_encoded_words_split_inside_a_multibyte_character_are_joined_first():
    data = "退款申请".encode()
    subject = f"=?utf-8?B?{b64(data[:4])}?=\r\n =?utf-8?B?{b64(data[4:])}?="
    parsed = parse_message(_headers_only("From: a@example.com", f"Subject: {subject}"))
    assert parsed.subject == "退款申请"


def test_whitespace_between_words_and_plain_text_is_kept():
    assert decode_words(f"Re: {word('发票')} please") == "Re: 发票 please"


def test_gb2312_encoded_word_with_gbk_only_character():
    assert decode_words(word("朱镕基", "gbk").replace("gbk", "gb2312")) == "朱镕基"


def test_display_names_decoded_after_address_parsing():
    name = word('Zhang, "San" <evil@attacker.test>')
    parsed = parse_message(_headers_only(
        f"From: {name} <Zhang.San@Example.COM>",
        f"To: \"{word('支持')}\" <support@acme.test>, bob@example.com (Bob)",
        "Cc: =?utf-8?q?Caf=C3=A9?= <cafe@example.com>",
        "Reply-To: replies@example.com",
    ))
    assert parsed.from_addr == "zhang.san@example.com"
    assert parsed.from_name == 'Zhang, "San" <evil@attacker.test>'
    assert parsed.to == [("支持", "support@acme.test"), ("Bob", "bob@example.com")]
    assert parsed.cc == [("Café", "cafe@example.com")]
    assert parsed.reply_address == "replies@example.com"


def test_raw_8bit_headers_are_decoded():
    parsed = parse_message(_headers_only(
        "From: 张三 <z@example.cn>".encode("gbk"),
        "Subject: 发票问题".encode("gbk"),
    ))
    assert parsed.subject == "发票问题"
    assert parsed.from_name == "张三"


def test_subject_controls_removed_and_whitespace_collapsed():
    parsed = parse_message(_headers_only(
        "From: a@example.com",
        f"Subject:  a\t b  {word(chr(27) + '[2J' + chr(0x202e) + 'x')}\r\n   c",
    ))
    assert parsed.subject == "a b [2Jx c"


def test_message_ids_lose_angle_brackets_and_keep_order():
    parsed = parse_message(_headers_only(
        "From: a@example.com",
        "Message-ID: <abc@example.com>",
        "In-Reply-To: <p1@x.test> (comment)",
        "References: <r1@x.test>\r\n <r2@x.test> <r1@x.test>",
    ))
    assert parsed.message_id == "abc@example.com"
    assert parsed.in_reply_to == ["p1@x.test"]
    assert parsed.references == ["r1@x.test", "r2@x.test"]


def test_message_id_without_brackets_is_still_found():
    assert message_ids(["bare@example.com"]) == ["bare@example.com"]


def test_date_is_utc_aware():
    parsed = parse_message(_headers_only("From: a@example.com", "Date: Mon, 5 Jan 2026 18:00:00 +0800"))
    assert parsed.date == datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)


def test_date_without_zone_is_utc_and_garbage_is_none():
    parsed = parse_message(_headers_only("From: a@example.com", "Date: Mon, 5 Jan 2026 18:00:00 -0000"))
    assert parsed.date == datetime(2026, 1, 5, 18, 0, tzinfo=timezone.utc)
    bad = parse_message(_headers_only("From: a@example.com", "Date: yesterday-ish"))
    assert bad.date is None
    assert "the Date header could not be read" in bad.problems


def test_missing_headers():
    parsed = parse_message(b"\r\njust a body")
    assert parsed.message_id is None
    assert parsed.from_addr is None and parsed.from_name == ""
    assert parsed.date is None and parsed.subject == ""
    assert parsed.body_text == "just a body"
    assert "the message has no From header" in parsed.problems


def test_from_without_a_domain_is_not_an_address():
    parsed = parse_message(_headers_only("From: MAILER-DAEMON (Mail Delivery System)"))
    assert parsed.from_addr is None
    assert parsed.no_reply_sender
