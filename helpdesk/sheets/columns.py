"""Which column holds which ticket field: header synonyms and the column plan."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from helpdesk.sheets.cells import column_letter
from helpdesk.sheets.rejects import is_reason_header

FIELDS = (
    "external_id", "subject", "description", "status", "priority", "type", "channel",
    "requester_name", "requester_email", "requester_phone", "organization", "assignee",
    "team", "tags", "created_at", "updated_at", "solved_at", "comments",
)
MULTI = frozenset({"tags", "comments"})  # several columns may feed these (Jira repeats headers)
CUSTOM, IGNORE = "fields", "ignore"

# Earlier synonyms win when two columns claim the same field ("Customer Name" over "Name").
# Sources: Zendesk, Freshdesk and Jira exports, ServiceNow, the public support-tickets
# dataset, and hand-kept Chinese ledgers (see shared/import-formats.md).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": ("ticket id", "issue key", "id", "ticket number", "ticket no", "ticket #",
                    "number", "case number", "incident number", "key", "工单编号", "工单号",
                    "单号", "工单id", "编号"),
    "subject": ("subject", "ticket subject", "summary", "title", "short description",
                "标题", "主题", "工单标题", "问题标题", "问题", "事项"),
    "description": ("description", "ticket description", "problem description", "details",
                    "body", "content", "message", "问题描述", "详细描述", "描述", "内容",
                    "问题详情", "故障描述"),
    "status": ("status", "ticket status", "state", "incident state", "状态", "处理状态",
               "工单状态"),
    "priority": ("priority", "ticket priority", "优先级", "紧急程度", "紧急度"),
    "type": ("type", "ticket type", "issue type", "类型", "工单类型"),
    "channel": ("channel", "ticket channel", "via", "source", "contact type", "渠道", "来源",
                "来源渠道"),
    "requester_name": ("requester name", "customer name", "requester", "customer", "full name",
                       "contact name", "contact", "reporter", "caller", "caller id", "opened by",
                       "name",
                       "客户姓名", "客户", "联系人", "报修人", "提交人", "姓名", "客户名称"),
    "requester_email": ("requester email", "customer email", "contact email", "email",
                        "email address", "e mail", "客户邮箱", "邮箱", "电子邮箱", "邮件",
                        "联系邮箱"),
    "requester_phone": ("requester phone", "customer phone", "phone", "phone number",
                        "mobile phone", "work phone", "mobile", "telephone", "联系电话",
                        "电话", "手机", "手机号", "联系方式"),
    "organization": ("organization", "organisation", "company", "company name", "account",
                     "客户单位", "公司", "单位", "公司名称", "组织"),
    "assignee": ("assignee", "assigned to", "agent", "owner", "处理人", "负责人", "受理人",
                 "经办人", "处理人员"),
    "team": ("group", "team", "assignment group", "处理组", "团队", "组别"),
    "tags": ("tags", "tag", "labels", "label", "标签", "分类", "问题类型", "问题分类"),
    "created_at": ("created at", "created", "created time", "created date", "creation date",
                   "date created", "opened", "opened at", "sys created on", "submitted",
                   "创建时间", "提交时间", "报修时间", "创建日期", "登记时间", "受理时间"),
    "updated_at": ("updated at", "updated", "last updated time", "last updated", "updated time",
                   "last modified", "modified", "sys updated on", "更新时间", "最后更新",
                   "修改时间"),
    "solved_at": ("solved at", "resolved at", "resolved", "resolved time", "resolution date",
                  "solved", "解决时间", "完成时间", "处理完成时间"),
    "comments": ("comment", "comments", "notes", "note", "history", "work notes",
                 "处理记录", "备注", "处理过程", "跟进记录", "处理意见", "回复"),
}
_RANK = {name: (field, rank)
         for field, names in SYNONYMS.items() for rank, name in enumerate(names)}

_SEPARATORS = re.compile(r"[\s_\-.·]+")
_DECORATION = re.compile(r"[*:：]|[(（][^)）]*[)）]\s*$")
_JIRA_CUSTOM = re.compile(r"custom field \((.+)\)\s*$", re.IGNORECASE)


def header_key(header: str) -> str:
    """'Ticket_Subject*' -> 'ticket subject'; '创建时间（必填）' -> '创建时间'."""
    key = _DECORATION.sub("", header.casefold())
    return _SEPARATORS.sub(" ", key).strip()


def known_field(header: str) -> tuple[str, int] | None:
    """(field, rank) when the header is a known synonym."""
    return _RANK.get(header_key(header))


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    target: str  # a name in FIELDS, CUSTOM or IGNORE
    key: str | None = None  # the custom field's name when target is CUSTOM
    source: str = "auto"  # "auto" (synonym), "map" (MAP.toml), "other" (everything else)

    def describe(self) -> str:
        where = f"{column_letter(self.index):>3}  {self.header or '(no header)'}"
        if self.target == CUSTOM:
            what = f'custom field "{self.key}"'
        elif self.target == IGNORE:
            what = "ignored"
        else:
            what = self.target
        return f"{where}  ->  {what}" + ("  (map)" if self.source == "map" else "")


@dataclass
class ColumnPlan:
    columns: list[Column]
    statuses: dict[str, str] = field(default_factory=dict)  # extra value -> status (from the map)
    priorities: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def target(self, name: str) -> list[Column]:
        return [c for c in self.columns if c.target == name]

    def describe(self) -> list[str]:
        """What the dry run prints: one line per column, then the warnings."""
        return [c.describe() for c in self.columns] + [f"warning: {w}" for w in self.warnings]


def plan_columns(headers: list[str], overrides=None) -> ColumnPlan:
    """Map each header to a field: the map file first, then synonyms, else a custom field.

    overrides is a ColumnMap (helpdesk.sheets.mapfile) or None."""
    mapped = _mapped_targets(headers, overrides)
    automatic = _automatic_targets(headers, mapped)
    columns = []
    for index, header in enumerate(headers):
        if index in mapped:
            columns.append(_column(index, header, mapped[index], "map"))
        elif index in automatic:
            columns.append(Column(index, header, automatic[index]))
        elif is_reason_header(header):  # a rejects file, fixed and imported again
            columns.append(Column(index, header, IGNORE, None, "other"))
        else:
            columns.append(_custom(index, header))
    plan = ColumnPlan(columns)
    if overrides is not None:
        plan.statuses, plan.priorities = dict(overrides.statuses), dict(overrides.priorities)
        plan.warnings += [f'the map names a column "{h}" that is not in the sheet'
                          for h in overrides.columns if not _find_header(headers, h)]
    if not plan.target("subject") and not plan.target("description"):
        plan.warnings.append("no column holds the subject or the description: every row "
                             "will be rejected; name them in the map file")
    return plan


def _mapped_targets(headers: list[str], overrides) -> dict[int, str]:
    if overrides is None:
        return {}
    return {i: target for header, target in overrides.columns.items()
            for i in _find_header(headers, header)}


def _find_header(headers: list[str], wanted: str) -> list[int]:
    exact = [i for i, h in enumerate(headers) if h == wanted]
    return exact or [i for i, h in enumerate(headers) if header_key(h) == header_key(wanted)]


def _automatic_targets(headers: list[str], mapped: dict[int, str]) -> dict[int, str]:
    taken = {t for t in mapped.values() if t in FIELDS and t not in MULTI}
    best: dict[str, tuple[int, int]] = {}  # field -> (rank, index) of the winning column
    chosen: dict[int, str] = {}
    for index, header in enumerate(headers):
        known = None if index in mapped else known_field(header)
        if known is None or known[0] in taken:
            continue
        name, rank = known
        if name in MULTI:
            chosen[index] = name
        elif name not in best or rank < best[name][0]:
            best[name] = (rank, index)
    chosen.update({index: name for name, (_, index) in best.items()})
    return chosen


def _column(index: int, header: str, target: str, source: str) -> Column:
    if target.startswith("field."):
        return Column(index, header, CUSTOM, target[len("field."):], source)
    return Column(index, header, target, None, source)


def _custom(index: int, header: str) -> Column:
    if not header:
        return Column(index, header, CUSTOM, f"Column {column_letter(index)}", "other")
    jira = _JIRA_CUSTOM.match(header)
    return Column(index, header, CUSTOM, jira.group(1).strip() if jira else header, "other")
