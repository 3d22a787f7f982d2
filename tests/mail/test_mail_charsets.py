from mail_raw import b64, simple

from helpdesk.mail import parse_message
from helpdesk.mail.charsets import decode_bytes


def test_plain_utf8():
    parsed = parse_message(simple("你好，打印机坏了。\r\n谢谢".encode()))
    assert parsed.body_text == "你好，打印机坏了。\n谢谢"
    assert parsed.problems == []


def test_gb2312_label_with_gbk_only_characters_reads_as_gb18030():
    # 镕 and 喆 are not in GB2312; senders label GBK text gb2312 all the time.
    body = "朱镕基 喆 退款".encode("gbk")
    parsed = parse_message(simple(body, charset="gb2312"))
    assert parsed.body_text == "朱镕基 喆 退款"
    assert parsed.problems == []


def test_big5():
    parsed = parse_message(simple("繁體中文 碁".encode("big5hkscs"), charset="big5"))
    assert parsed.body_text == "繁體中文 碁"


def test_shift_jis_with_microsoft_extensions():
    # ① and 髙 exist only in cp932, the Shift_JIS everyone actually sends.
    parsed = parse_message(simple("こんにちは ① 髙橋".encode("cp932"), charset="Shift_JIS"))
    assert parsed.body_text == "こんにちは ① 髙橋"


def test_iso_2022_jp():
    body = "お世話になっております。".encode("iso2022_jp")
    parsed = parse_message(simple(body, charset="ISO-2022-JP", cte="7bit"))
    assert parsed.body_text == "お世話になっております。"


def test_iso_2022_jp_without_a_label_is_recognised_by_its_escapes():
    assert decode_bytes("日本語".encode("iso2022_jp"), None).text == "日本語"


def test_us_ascii_label_with_utf8_bytes():
    parsed = parse_message(simple("café ✓".encode(), charset="us-ascii"))
    assert parsed.body_text == "café ✓"


def test_missing_charset_with_gbk_bytes():
    parsed = parse_message(simple("发票抬头".encode("gbk"), charset=None))
    assert parsed.body_text == "发票抬头"


def test_unlabelled_bytes_that_fit_nothing_fall_back_to_latin1_with_a_note():
    decoded = decode_bytes(b"caf\xe9", None)
    assert decoded.text == "café"
    assert "latin-1" in decoded.problem


def test_latin1_label_over_utf8_bytes_is_read_as_utf8():
    assert decode_bytes("naïve".encode(), "iso-8859-1").text == "naïve"
    assert decode_bytes(b"na\xefve", "iso-8859-1").text == "naïve"


def test_lying_label_is_noted_and_read_as_what_fits():
    decoded = decode_bytes("退款".encode("gbk"), "utf-8")
    assert decoded.text == "退款"
    assert "utf-8" in decoded.problem and "gb18030" in decoded.problem


def test_unknown_and_bytes_to_bytes_charsets_never_raise():
    for label in ("x-nonsense", "base64", "zlib", "rot13", "utf-8*en", "\"UTF-8\"", ""):
        assert decode_bytes("ok é".encode(), label).text == "ok é"


def test_undecodable_bytes_under_a_multibyte_label_are_replaced_and_noted():
    decoded = decode_bytes(b"\x81", "shift_jis")  # a lead byte and nothing after it
    assert decoded.problem
    assert isinstance(decoded.text, str)


def test_base64_part_in_gbk():
    parsed = parse_message(simple(b64("你好", "gbk").encode(), charset="GBK", cte="base64"))
    assert parsed.body_text == "你好"


def test_quoted_printable_utf8():
    body = b"=E4=BD=A0=E5=A5=BD, a soft=\r\nbreak and =3D sign"
    parsed = parse_message(simple(body, cte="quoted-printable"))
    assert parsed.body_text == "你好, a softbreak and = sign"


def test_control_characters_and_terminal_escapes_are_removed_from_the_body():
    parsed = parse_message(simple(b"red \x1b[31mtext\x07\x00 ok\tand tab"))
    assert parsed.body_text == "red [31mtext ok\tand tab"
