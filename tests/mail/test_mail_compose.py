from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from helpdesk.errors import Invalid
from helpdesk.mail import build_message, parse_message, should_not_autoreply

BASE = dict(
    from_addr="support@acme.test", from_name="Acme 支持", to_addr="zhang@example.cn", to_name="张三",
    subject="[#12] 打印机", body="您好，\n已更换硒鼓。", message_id_domain="acme.test",
)


def test_round_trip_through_the_parser():
    data, message_id = build_message(
        **BASE, in_reply_to="<m1@example.cn>", references=("<m0@example.cn>",),
        date=datetime(2026, 1, 5, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    assert data.isascii() and b"\r\n" in data
    parsed = parse_message(data)
    assert parsed.message_id == message_id and message_id.endswith("@acme.test")
    assert (parsed.from_name, parsed.from_addr) == ("Acme 支持", "support@acme.test")
    assert parsed.to == [("张三", "zhang@example.cn")]
    assert parsed.subject == "[#12] 打印机"
    assert parsed.body_text == "您好，\n已更换硒鼓。"
    assert parsed.in_reply_to == ["m1@example.cn"]
    assert parsed.references == ["m0@example.cn", "m1@example.cn"]
    assert parsed.date == datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc)
    assert not parsed.auto_submitted


def test_header_injection_is_impossible():
    data, _ = build_message(**{**BASE, "subject": "hi\r\nBcc: x@y.test", "to_name": "Bob\nCc: c@d.test"})
    parsed = parse_message(data)
    headers = data.split(b"\r\n\r\n", 1)[0].lower()
    assert b"\r\nbcc:" not in headers and b"\r\ncc:" not in headers
    assert parsed.subject == "hi Bcc: x@y.test"
    assert parsed.cc == []


def test_address_with_a_line_break_is_invalid():
    with pytest.raises(Invalid) as error:
        build_message(**{**BASE, "to_addr": "a@b.test\r\nBcc: x@y.test"})
    assert error.value.field == "to_addr"


def test_bad_addresses_and_domain():
    for field, value in (("to_addr", "not-an-address"), ("from_addr", "用户@example.cn"), ("to_addr", "a b@c.test")):
        with pytest.raises(Invalid) as error:
            build_message(**{**BASE, field: value})
        assert error.value.field == field
    with pytest.raises(Invalid):
        build_message(**{**BASE, "message_id_domain": " <> "})


def test_international_domain_is_punycoded():
    data, _ = build_message(**{**BASE, "to_addr": "li@例子.中国"})
    assert parse_message(data).to[0][1].endswith("@xn--fsqu00a.xn--fiqs8s")


def test_automatic_mail_marks_itself_and_is_never_answered_by_us():
    data, _ = build_message(**BASE, auto_submitted=True, loop_marker="helpdesk@acme.test")
    assert b"Auto-Submitted: auto-generated" in data
    parsed = parse_message(data, loop_marker="helpdesk@acme.test")
    assert parsed.auto_submitted and parsed.loop
    assert should_not_autoreply(parsed) is not None


def test_references_are_deduplicated_and_capped():
    refs = [f"<r{i}@x.test>" for i in range(40)] + ["<r0@x.test>"]
    data, _ = build_message(**BASE, in_reply_to="r39@x.test", references=refs)
    parsed = parse_message(data)
    assert len(parsed.references) == 20
    assert parsed.references[0] == "r0@x.test" and parsed.references[-1] == "r39@x.test"


def test_naive_date_is_refused():
    with pytest.raises(Invalid):
        build_message(**BASE, date=datetime(2026, 1, 5))


def test_message_ids_are_unique():
    assert build_message(**BASE)[1] != build_message(**BASE)[1]
