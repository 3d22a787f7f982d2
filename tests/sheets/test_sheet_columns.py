"""Column plans from real-world headers, and the map file."""

from __future__ import annotations

import pytest

from helpdesk.errors import Invalid
from helpdesk.sheets import load_map, plan_columns


def targets(headers, overrides=None) -> dict[str, str]:
    plan = plan_columns(headers, overrides)
    return {f"{c.index}:{c.header}": (c.target if c.target != "fields" else f"field.{c.key}")
            for c in plan.columns}


def test_zendesk_export():
    headers = ["Summation column", "Id", "Requester", "Requester id", "Requester email",
               "Submitter", "Assignee", "Group", "Subject", "Tags", "Status", "Priority", "Via",
               "Ticket type", "Created at", "Updated at", "Organization", "Solved at",
               "Satisfaction Score"]
    got = targets(headers)
    assert got["1:Id"] == "external_id" and got["2:Requester"] == "requester_name"
    assert got["3:Requester id"] == "field.Requester id"
    assert got["4:Requester email"] == "requester_email" and got["6:Assignee"] == "assignee"
    assert got["7:Group"] == "team" and got["8:Subject"] == "subject" and got["9:Tags"] == "tags"
    assert got["12:Via"] == "channel" and got["13:Ticket type"] == "type"
    assert got["14:Created at"] == "created_at" and got["15:Updated at"] == "updated_at"
    assert got["16:Organization"] == "organization" and got["17:Solved at"] == "solved_at"
    assert got["18:Satisfaction Score"] == "field.Satisfaction Score"


def test_jira_export_with_repeated_headers():
    headers = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority",
               "Assignee", "Reporter", "Created", "Updated", "Resolved", "Description",
               "Labels", "Labels", "Comment", "Comment", "Comment",
               "Custom field (Customer Tier)"]
    got = targets(headers)
    assert got["0:Summary"] == "subject" and got["1:Issue key"] == "external_id"
    assert got["2:Issue id"] == "field.Issue id" and got["3:Issue Type"] == "type"
    assert got["7:Reporter"] == "requester_name" and got["10:Resolved"] == "solved_at"
    assert [got[f"{i}:Labels"] for i in (12, 13)] == ["tags", "tags"]
    assert [got[f"{i}:Comment"] for i in (14, 15, 16)] == ["comments"] * 3
    assert got["17:Custom field (Customer Tier)"] == "field.Customer Tier"


def test_freshdesk_export():
    got = targets(["Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type",
                   "Agent", "Group", "Created time", "Resolved time", "Last updated time",
                   "Tags", "Full name", "Email", "Work phone", "Mobile phone", "Company Name"])
    assert got["5:Source"] == "channel" and got["7:Agent"] == "assignee"
    assert got["9:Created time"] == "created_at" and got["10:Resolved time"] == "solved_at"
    assert got["11:Last updated time"] == "updated_at" and got["13:Full name"] == "requester_name"
    assert got["16:Mobile phone"] == "requester_phone"
    assert got["15:Work phone"] == "field.Work phone"
    assert got["17:Company Name"] == "organization"


def test_public_support_tickets_dataset():
    got = targets(["Ticket ID", "Customer Name", "Customer Email", "Customer Age",
                   "Product Purchased", "Ticket Type", "Ticket Subject", "Ticket Description",
                   "Ticket Status", "Resolution", "Ticket Priority", "Ticket Channel"])
    assert list(got.values()) == [
        "external_id", "requester_name", "requester_email", "field.Customer Age",
        "field.Product Purchased", "type", "subject", "description", "status",
        "field.Resolution", "priority", "channel"]


def test_chinese_ledger():
    got = targets(["序号", "工单编号", "标题", "问题描述", "状态", "优先级", "客户姓名",
                   "客户邮箱", "联系电话", "处理人", "创建时间", "解决时间", "标签", "处理记录",
                   "备注", "来源"])
    assert list(got.values()) == [
        "field.序号", "external_id", "subject", "description", "status", "priority",
        "requester_name", "requester_email", "requester_phone", "assignee", "created_at",
        "solved_at", "tags", "comments", "comments", "channel"]


def test_decorated_headers_still_match():
    got = targets(["Ticket_Subject*", "创建时间（必填）", "E-Mail", "  STATUS: "])
    assert list(got.values()) == ["subject", "created_at", "requester_email", "status"]


def test_best_synonym_wins_and_the_other_becomes_a_custom_field():
    got = targets(["Name", "Customer Name", "Email", "Customer Email"])
    assert got == {"0:Name": "field.Name", "1:Customer Name": "requester_name",
                   "2:Email": "field.Email", "3:Customer Email": "requester_email"}


def test_blank_header_column_is_kept_as_a_custom_field():
    assert targets(["Subject", "", "Status"])["1:"] == "field.Column B"


def test_map_overrides_and_describe():
    column_map = load_map('[columns]\n"单号" = "external_id"\n"标题" = "description"\n'
                          '"摘要" = "subject"\n"客户等级" = "field.tier"\n"序号" = "ignore"\n'
                          '"不存在" = "team"\n')
    plan = plan_columns(["序号", "单号", "标题", "摘要", "客户等级", "状态"], column_map)
    lines = plan.describe()
    assert lines[:6] == [
        "  A  序号  ->  ignored  (map)",
        "  B  单号  ->  external_id  (map)",
        "  C  标题  ->  description  (map)",
        "  D  摘要  ->  subject  (map)",
        '  E  客户等级  ->  custom field "tier"  (map)',
        "  F  状态  ->  status",
    ]
    assert lines[6] == 'warning: the map names a column "不存在" that is not in the sheet'


def test_plan_warns_when_nothing_can_be_a_subject():
    plan = plan_columns(["Foo", "Bar"])
    assert any("every row will be rejected" in line for line in plan.describe())


def test_load_map_settings_and_value_tables():
    column_map = load_map('timezone = "Asia/Shanghai"\ndayfirst = true\nheader_row = 3\n'
                          'sheet = "2025"\nencoding = "gbk"\n'
                          '[status]\n"待审核" = "open"\n"Waiting On Vendor" = "on_hold"\n'
                          "[priority]\nP0 = \"urgent\"\n")
    assert column_map.timezone == "Asia/Shanghai" and column_map.dayfirst is True
    assert column_map.header_row == 3 and column_map.sheet == "2025"
    assert column_map.encoding == "gbk"
    assert column_map.statuses == {"待审核": "open", "waiting on vendor": "on_hold"}
    assert column_map.priorities == {"p0": "urgent"}


@pytest.mark.parametrize("text,message", [
    ('[columns]\n"A" = "subject"\n"B" = "subjcet"\n',
     r'line 3: \[columns\] "B": "subjcet" is not a field'),
    ('[columns]\n"B" = "field."\n', r'line 2: \[columns\] "B"'),
    ('[status]\n"x" = "open"\n\n"待审核" = "reviewing"\n',
     r'line 4: \[status\] "待审核": "reviewing" is not a status'),
    ('[priority]\nP0 = "p0"\n', r'line 2: \[priority\] "P0": "p0" is not a priority'),
    ('timezone = "Mars/Olympus"\n', 'line 1: timezone: unknown time zone "Mars/Olympus"'),
    ('dayfirst = "yes"\n', "line 1: dayfirst: must be true or false"),
    ('header_row = 0\n', "line 1: header_row: must be a row number"),
    ('colums = 1\n', "line 1: colums: unknown setting"),
    ('status = "open"\n', "line 1: status: must be a table"),
    ('[columns\n"A" = 1\n', "not valid TOML: .*line 1"),
])
def test_load_map_errors_name_line_and_key(text, message):
    with pytest.raises(Invalid, match=message) as caught:
        load_map(text)
    assert caught.value.field == "map"
