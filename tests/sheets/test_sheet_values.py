"""Cell values: dates in every form, statuses, priorities, tags, emails, comments, text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.sheets import safe_cell
from helpdesk.sheets.cells import cell_text, clean_text
from helpdesk.sheets.dates import CellError, from_serial, parse_when
from helpdesk.sheets.values import (
    Comment,
    split_tags,
    to_comment,
    to_email,
    to_priority,
    to_status,
    value_key,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("text,expected", [
    ("2025/3/5 09:30", utc(2025, 3, 5, 1, 30)),
    ("2025-03-05", utc(2025, 3, 4, 16, 0)),
    ("2025-03-05 09:30:15", utc(2025, 3, 5, 1, 30, 15)),
    ("2025年3月5日", utc(2025, 3, 4, 16, 0)),
    ("2025年3月5日 9:30", utc(2025, 3, 5, 1, 30)),
    ("2025年3月5日 下午3点30分", utc(2025, 3, 5, 7, 30)),
    ("2025.3.5", utc(2025, 3, 4, 16, 0)),
    ("09/Oct/25 1:42 PM", utc(2025, 10, 9, 5, 42)),
    ("09/Oct/25 12:05 AM", utc(2025, 10, 8, 16, 5)),
    ("9 October 2025", utc(2025, 10, 8, 16, 0)),
    ("Oct 9, 2025 1:42 pm", utc(2025, 10, 9, 5, 42)),
    ("3/5/2025 9:30", utc(2025, 3, 5, 1, 30)),  # month first unless --dayfirst
    ("20250305", utc(2025, 3, 4, 16, 0)),
    ("45721.395833333336", utc(2025, 3, 5, 1, 30)),  # a serial number typed as text
    ("2025-03-05T09:30:00Z", utc(2025, 3, 5, 9, 30)),  # an explicit offset is kept
    ("2025-03-05T09:30:00.250+08:00", utc(2025, 3, 5, 1, 30, 0, 250_000)),
    ("Wed, 05 Mar 2025 09:30:00 -0500", utc(2025, 3, 5, 14, 30)),
])
def test_text_dates_read_in_the_desk_zone(text, expected):
    assert parse_when(text, SHANGHAI) == expected


def test_dayfirst():
    assert parse_when("5/3/2025", SHANGHAI, dayfirst=True) == utc(2025, 3, 4, 16, 0)
    assert parse_when("05-03-2025 14:00", SHANGHAI, dayfirst=True) == utc(2025, 3, 5, 6, 0)
    with pytest.raises(CellError, match="day-first dates need --dayfirst"):
        parse_when("25/3/2025", SHANGHAI)


def test_wall_clock_follows_the_zones_daylight_saving():
    assert parse_when("2025-01-15 09:00", NEW_YORK) == utc(2025, 1, 15, 14, 0)
    assert parse_when("2025-07-15 09:00", NEW_YORK) == utc(2025, 7, 15, 13, 0)


def test_real_excel_dates_are_wall_clock_in_the_desk_zone():
    assert parse_when(datetime(2025, 3, 5, 9, 30), SHANGHAI) == utc(2025, 3, 5, 1, 30)
    assert parse_when(date(2025, 3, 5), SHANGHAI) == utc(2025, 3, 4, 16, 0)
    with pytest.raises(CellError, match="time of day without a date"):
        parse_when(time(9, 30), SHANGHAI)


def test_serials_in_both_date_systems():
    assert from_serial(45721.0) == datetime(2025, 3, 5)
    assert from_serial(45721.0 - 1462, datemode_1904=True) == datetime(2025, 3, 5)
    assert from_serial(45721.5) == datetime(2025, 3, 5, 12, 0)
    assert parse_when(44259.0, SHANGHAI, datemode_1904=True) == utc(2025, 3, 4, 16, 0)
    assert parse_when(20250305, SHANGHAI) == utc(2025, 3, 4, 16, 0)


def test_the_1900_leap_year_bug():
    # Excel counts 29 Feb 1900: day 59 is 28 Feb, day 61 is 1 Mar, day 60 never was.
    # Such early days are no ticket dates, so they are refused, naming the date they mean.
    with pytest.raises(CellError, match="1900-02-28"):
        from_serial(59.0)
    with pytest.raises(CellError, match="1900-03-01"):
        from_serial(61.0)
    assert from_serial(25569.0) == datetime(1970, 1, 1)
    with pytest.raises(CellError, match="29 Feb 1900"):
        from_serial(60.0)


@pytest.mark.parametrize("value,reason", [
    ("2025-02-30", "not a real date"),
    ("next tuesday", "is not a date"),
    ("13/13/2025", "not a real date"),
    ("9/Foo/25", "is not a date"),
    ("2025-03-05 25:00", "impossible time of day"),
    (5, "the number 5 is not a date"),
    (True, "is not a date"),
])
def test_bad_dates_say_why(value, reason):
    with pytest.raises(CellError, match=reason):
        parse_when(value, SHANGHAI)


@pytest.mark.parametrize("text,status", [
    ("new", "new"), ("Open", "open"), ("Hold", "on_hold"), ("on-hold", "on_hold"),
    ("Pending Customer Response", "pending"), ("Awaiting User Info", "pending"),
    ("Active", "open"), ("In Progress", "open"), ("Resolved", "solved"), ("Done", "solved"),
    ("Closed", "closed"), ("新建", "new"), ("待处理", "new"), ("处理中", "open"),
    ("已派单", "open"), ("等待客户", "pending"), ("待客户确认", "pending"), ("挂起", "on_hold"),
    ("已解决", "solved"), ("已完成", "solved"), ("已关闭", "closed"),
])
def test_statuses(text, status):
    assert to_status(text, {}) == status


@pytest.mark.parametrize("text,priority", [
    ("low", "low"), ("Normal", "normal"), ("Medium", "normal"), ("HIGH", "high"),
    ("urgent", "urgent"), ("Critical", "urgent"), ("1 - Critical", "urgent"), ("4 - Low", "low"),
    ("Highest", "urgent"), ("紧急", "urgent"), ("高", "high"), ("中", "normal"),
    ("普通", "normal"), ("低", "low"),
])
def test_priorities(text, priority):
    assert to_priority(text, {}) == priority


def test_unknown_values_name_the_value_and_the_allowed_ones():
    with pytest.raises(CellError, match='unknown status "待审核" \\(use one of new, open, pending, '
                                        "on_hold, solved, closed"):
        to_status("待审核", {})
    with pytest.raises(CellError, match=r'unknown priority "P9" \(use one of low, normal, '
                                          r"high, urgent"):
        to_priority("P9", {})


def test_map_values_override_and_extend():
    assert to_status("待审核", {value_key("待审核"): "open"}) == "open"
    assert to_priority("High", {value_key("high"): "urgent"}) == "urgent"


@pytest.mark.parametrize("text,tags", [
    ("printer vpn  billing", ["printer", "vpn", "billing"]),
    ("打印机、网络，账单", ["打印机", "网络", "账单"]),
    ("a;b; c,d；e\nf", ["a", "b", "c", "d", "e", "f"]),
    (" , ", []),
])
def test_tags_split_on_every_separator(text, tags):
    assert split_tags(text) == tags


def test_emails():
    assert to_email("Alice@Example.COM") == ("alice@example.com", None)
    assert to_email('"Li Lei" <lilei@example.cn>') == ("lilei@example.cn", "Li Lei")
    assert to_email("mailto:bob@example.org") == ("bob@example.org", None)
    for bad, reason in [("alice at example.com", "not an email"), ("alice@", "not an email"),
                        ("a@x.com; b@y.com", "more than one address"), ("a@x", "not an email")]:
        with pytest.raises(CellError, match=reason):
            to_email(bad)


def test_jira_comment_cells():
    comment = to_comment("09/Oct/25 1:42 PM;557058:abc;Rebooted the printer;\nworks now",
                         SHANGHAI, False, False)
    assert comment == Comment(utc(2025, 10, 9, 5, 42), "557058:abc",
                              "Rebooted the printer;\nworks now")
    assert to_comment("3/5 已电话联系客户; 明天上门", SHANGHAI, False, False) == Comment(
        None, None, "3/5 已电话联系客户; 明天上门")


def test_cell_text_is_literal_without_control_characters():
    dirty = "  [b]bold[/b] \x1b[31mred\x00\x07\r\nnext\tcol  "
    assert clean_text(dirty) == "[b]bold[/b] [31mred\nnext\tcol"  # markup stays literal
    assert clean_text("\x9b2J") == "2J"  # the C1 CSI is an escape too
    assert clean_text("#N/A") == "" and clean_text("#DIV/0!") == ""
    assert cell_text(13800138000.0) == "13800138000" and cell_text(0.5) == "0.5"
    assert cell_text(True) == "TRUE" and cell_text(None) == ""
    assert cell_text(datetime(2025, 3, 5, 9, 30)) == "2025-03-05 09:30:00"


@pytest.mark.parametrize("value,safe", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("-5", "-5"), ("+8613800138000", "+8613800138000"), ("plain", "plain"), (3.5, 3.5),
    (None, None),
])
def test_safe_cell(value, safe):
    assert safe_cell(value) == safe


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_safe_cell_reads_back_as_the_same_text(text):
    cleaned = clean_text(text)
    assert clean_text(safe_cell(cleaned)) == cleaned
