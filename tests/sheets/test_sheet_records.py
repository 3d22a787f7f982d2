"""read_records end to end, and the rejects file round trip."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl

from helpdesk.sheets import (
    Comment,
    load_map,
    open_sheet,
    plan_columns,
    read_records,
    write_rejects,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LEDGER = ["工单编号", "标题", "问题描述", "状态", "优先级", "客户姓名", "客户邮箱", "联系电话",
          "处理人", "创建时间", "标签", "处理记录", "客户等级"]


def records(path, column_map=None, **kw):
    source = open_sheet(path)
    plan = plan_columns(source.headers, column_map)
    return list(read_records(source, plan, tz=kw.pop("tz", SHANGHAI), **kw))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_chinese_ledger_row_becomes_typed_values(xlsx_file):
    path = xlsx_file([["2025年3月工单台账"], [], LEDGER,
                      [1001, "打印机卡纸", "三楼打印机卡纸\n已重启无效", "处理中", "紧急", "王芳",
                       "WangFang@Example.cn", 13800138000, "张三", datetime(2025, 3, 5, 9, 30),
                       "打印机、硬件", "3/5 已上门", "VIP"]], merges=["A1:M1"])
    [record] = records(path)
    assert record.row == 4 and record.errors == []
    assert record.values == {
        "external_id": "1001", "subject": "打印机卡纸", "description": "三楼打印机卡纸\n已重启无效",
        "status": "open", "priority": "urgent", "requester_name": "王芳",
        "requester_email": "wangfang@example.cn", "requester_phone": "13800138000",
        "assignee": "张三", "created_at": utc(2025, 3, 5, 1, 30), "tags": ["打印机", "硬件"],
        "comments": [Comment(None, None, "3/5 已上门")],
    }
    assert record.fields == {"客户等级": "VIP"}
    assert record.raw[0] == 1001.0


def test_bad_rows_report_sheet_row_column_and_reason(text_file):
    path = text_file([["Subject", "Status", "Priority", "Email", "Created"],
                      ["ok", "open", "high", "a@example.com", "2025-03-05"],
                      [],
                      ["bad status", "reviewing", "", "", ""],
                      ["bad priority", "", "P9", "", ""],
                      ["bad email", "", "", "not-an-email", ""],
                      ["bad date", "", "", "", "2025-02-30"],
                      ["", "open", "", "", ""]])
    got = {r.row: [str(e) for e in r.errors] for r in records(path)}
    assert got == {
        2: [],
        4: ['row 4, Status: unknown status "reviewing" (use one of new, open, pending, on_hold, '
            "solved, closed, or map it under [status] in the map file)"],
        5: ['row 5, Priority: unknown priority "P9" (use one of low, normal, high, urgent, '
            "or map it under [priority] in the map file)"],
        6: ['row 6, Email: "not-an-email" is not an email address'],
        7: ['row 7, Created: "2025-02-30" is not a real date'],
        8: ["row 8, subject: no subject and no description"],
    }


def test_subject_falls_back_to_the_descriptions_first_line(text_file):
    long_line = "很长的问题" * 40
    path = text_file([["标题", "问题描述"], ["", "\n  VPN 连不上  \n详情见截图"], ["", long_line]])
    first, second = records(path)
    assert first.values["subject"] == "VPN 连不上"
    assert second.values["subject"] == long_line[:120] and first.errors == second.errors == []


def test_map_file_values_and_columns_apply(text_file):
    path = text_file([["单号", "摘要", "状态", "紧急度", "序号"],
                      ["A-1", "x", "待审核", "P0", "1"]])
    column_map = load_map('[columns]\n"单号" = "external_id"\n"摘要" = "subject"\n'
                          '"紧急度" = "priority"\n"序号" = "ignore"\n'
                          '[status]\n"待审核" = "open"\n[priority]\n"p0" = "urgent"\n')
    [record] = records(path, column_map)
    assert record.values == {"external_id": "A-1", "subject": "x", "status": "open",
                             "priority": "urgent"}
    assert record.fields == {}


def test_jira_repeated_labels_and_comments(text_file):
    path = text_file([["Summary", "Issue key", "Labels", "Labels", "Comment", "Comment", "Created"],
                      ["VPN down", "IT-7", "vpn", "network", "09/Oct/25 1:42 PM;alice;Looking",
                       "10/Oct/25 9:00 AM;bob;Fixed", "09/Oct/25 1:00 PM"]],
                     encoding="utf-8-sig")
    [record] = records(path, tz=ZoneInfo("UTC"))
    assert record.values["tags"] == ["vpn", "network"]
    assert record.values["comments"] == [Comment(utc(2025, 10, 9, 13, 42), "alice", "Looking"),
                                         Comment(utc(2025, 10, 10, 9, 0), "bob", "Fixed")]
    assert record.values["created_at"] == utc(2025, 10, 9, 13, 0)


def test_dayfirst_and_bare_serials_in_a_date_column(xlsx_file):
    path = xlsx_file([["Subject", "Created", "Updated"], ["a", "05/03/2025", 45721.5],
                      ["b", 20250306, "2025-03-06"]])
    first, second = records(path, tz=ZoneInfo("UTC"), dayfirst=True)
    assert first.values["created_at"] == utc(2025, 3, 5)
    assert first.values["updated_at"] == utc(2025, 3, 5, 12)
    assert second.values["created_at"] == utc(2025, 3, 6)


def test_serials_follow_the_workbooks_1904_system(xlsx_file):
    path = xlsx_file([["Subject", "Created"], ["a", 44259.0]], epoch_1904=True)
    [record] = records(path, tz=ZoneInfo("UTC"))
    assert record.values["created_at"] == utc(2025, 3, 5)
    [forced] = records(path, tz=ZoneInfo("UTC"), datemode_1904=False)
    assert forced.values["created_at"] == utc(2021, 3, 4)


def test_placeholders_in_typed_columns_are_blank(text_file):
    path = text_file([["number", "short_description", "state", "priority", "caller_id",
                       "opened_at"],
                      ["INC001", "Printer", "?", "?", "?", "?"],
                      ["INC001", "Printer", "Active", "1 - Critical", "Ann", "05-03-2025 09:30"]])
    first, second = records(path, tz=ZoneInfo("UTC"), dayfirst=True)
    assert first.errors == [] and first.values == {"external_id": "INC001", "subject": "Printer",
                                                   "requester_name": "?"}
    assert second.values["status"] == "open" and second.values["priority"] == "urgent"
    assert second.values["created_at"] == utc(2025, 3, 5, 9, 30)


def test_requester_email_in_the_name_column_is_used_as_the_email(text_file):
    path = text_file([["Subject", "Requester"], ["x", "Bob@Example.com"]])
    [record] = records(path)
    assert record.values == {"subject": "x", "requester_email": "bob@example.com"}


def test_named_email_fills_the_name(text_file):
    path = text_file([["Subject", "Email"], ["x", "Li Lei <lilei@example.cn>"]])
    [record] = records(path)
    assert record.values["requester_name"] == "Li Lei"


def test_cells_are_cleaned_of_control_characters(text_file):
    path = text_file([["Subject", "Description"], ["\x1b[2Jhi\x00", "a\r\nb\x07"]])
    [record] = records(path)
    assert record.values == {"subject": "[2Jhi", "description": "a\nb"}


def test_fingerprint_is_stable_across_column_order_and_ignores_row_position(text_file, tmp_path):
    one = text_file([["Subject", "Status", "Team"], ["a", "open", "ops"], ["b", "new", ""]],
                    name="1.csv")
    two = text_file([["Team", "Subject", "Status"], [], ["", "b", "new"], ["ops", "a", "open"]],
                    name="2.csv")
    first = {r.values["subject"]: r.fingerprint for r in records(one)}
    second = {r.values["subject"]: r.fingerprint for r in records(two)}
    assert first == second and first["a"] != first["b"]


def test_repeated_custom_headers_are_joined(text_file):
    path = text_file([["Summary", "Sprint", "Sprint"], ["x", "S1", "S2"]])
    assert records(path)[0].fields == {"Sprint": "S1; S2"}


def test_rejects_csv_round_trip(text_file, tmp_path):
    path = text_file([["Subject", "Status", "Score"], ["=cmd|' /C calc'!A0", "bogus", "-2+3"]])
    [bad] = records(path)
    out = tmp_path / "rejects.csv"
    assert write_rejects(out, open_sheet(path).headers, [(bad.raw, str(bad.errors[0]))]) == 1
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["Subject", "Status", "Score", "rejected because"]
    assert rows[1][:3] == ["'=cmd|' /C calc'!A0", "bogus", "'-2+3"]
    assert rows[1][3].startswith("row 2, Status: unknown status")
    again = records(out)[0]  # fixed or not, the file imports again with the same text
    assert again.values["subject"] == "=cmd|' /C calc'!A0" and again.fields == {"Score": "-2+3"}


def test_rejects_xlsx_keeps_dates_and_never_writes_formulas(xlsx_file, tmp_path):
    when = datetime(2025, 3, 5, 9, 30)
    out = tmp_path / "rejects.xlsx"
    write_rejects(out, ["Subject", "Created", "rejected because"],
                  [(["=1+1", when], "bad\x01 status"), (["@x"], "no subject")])
    sheet = openpyxl.load_workbook(out).active
    assert [c.value for c in sheet[1]] == ["Subject", "Created", "rejected because", "import rejected because"]
    assert [c.value for c in sheet[2]] == ["'=1+1", when, None, "bad status"]
    assert [c.value for c in sheet[3]] == ["'@x", None, None, "no subject"]
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
