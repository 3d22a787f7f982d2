"""Cell text -> typed ticket values: statuses, priorities, tags, emails, comments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from helpdesk.sheets.dates import CellError, parse_when

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")

# Keys are value_key() forms. English from Zendesk, Freshdesk, Jira, ServiceNow and the
# public support-tickets dataset; Chinese from hand-kept ledgers.
STATUS_WORDS = {
    **dict.fromkeys(("new", "新建", "新", "待处理", "未处理", "待受理", "未开始"), "new"),
    **dict.fromkeys(("open", "opened", "active", "in progress", "assigned", "to do", "todo",
                     "reopened", "work in progress", "waiting for support", "处理中", "已派单",
                     "已受理", "进行中", "已分配", "重新打开", "跟进中"), "open"),
    **dict.fromkeys(("pending", "pending customer response", "awaiting user info",
                     "waiting for customer", "waiting on customer", "awaiting customer",
                     "waiting on requester", "等待客户", "待客户确认", "待反馈", "等待回复",
                     "待确认", "等待客户回复"), "pending"),
    **dict.fromkeys(("on hold", "hold", "onhold", "on_hold", "waiting on third party",
                     "waiting for third party", "suspended", "deferred", "挂起", "暂停",
                     "搁置", "等待第三方"), "on_hold"),
    **dict.fromkeys(("solved", "resolved", "done", "fixed", "completed", "complete",
                     "已解决", "已完成", "已处理", "完成", "解决"), "solved"),
    **dict.fromkeys(("closed", "cancelled", "canceled", "已关闭", "关闭", "已取消",
                     "已撤销", "已归档"), "closed"),
}
PRIORITY_WORDS = {
    **dict.fromkeys(("low", "lowest", "minor", "trivial", "p4", "p5", "低", "较低", "不急"), "low"),
    **dict.fromkeys(("normal", "medium", "moderate", "p3", "中", "普通", "一般", "正常"), "normal"),
    **dict.fromkeys(("high", "major", "p2", "高", "较高", "重要", "急"), "high"),
    **dict.fromkeys(("urgent", "critical", "highest", "blocker", "emergency", "p1", "p0",
                     "紧急", "非常紧急", "特急", "加急", "最高"), "urgent"),
}
# ServiceNow's "1 - Critical", "2 - High": the number only repeats the word.
_NUMBERED = re.compile(r"^\d+\s*[-.:)]\s*(?=\D)")
_SPACES = re.compile(r"[\s_\-]+")
_TAG_SPLIT = re.compile(r"[,，;；、\s]+")
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\.]+\Z")
_NAMED_EMAIL = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\Z")
_JIRA_COMMENT = re.compile(r"(?P<at>[^;\n]{6,40});(?P<author>[^;\n]{0,200});(?P<body>.*)\Z", re.S)
# Placeholders that mean "no value" in typed columns (ServiceNow writes "?").
BLANKS = frozenset({"?", "-", "--", "—", "/", "n/a", "na", "none", "null", "无", "空"})


def value_key(text: str) -> str:
    """'On-Hold' -> 'on hold'; '1 - Critical' -> 'critical'."""
    return _SPACES.sub(" ", _NUMBERED.sub("", text.casefold())).strip()


def is_placeholder(text: str) -> bool:
    return len(text) <= 4 and text.casefold() in BLANKS


def to_status(text: str, extra: dict[str, str]) -> str:
    """extra: the map file's [status] table, keyed by value_key()."""
    key = value_key(text)
    found = extra.get(key) or STATUS_WORDS.get(key)
    if found is None:
        raise CellError(f'unknown status "{text}" (use one of {", ".join(STATUSES)}, '
                        "or map it under [status] in the map file)")
    return found


def to_priority(text: str, extra: dict[str, str]) -> str:
    key = value_key(text)
    found = extra.get(key) or PRIORITY_WORDS.get(key)
    if found is None:
        raise CellError(f'unknown priority "{text}" (use one of {", ".join(PRIORITIES)}, '
                        "or map it under [priority] in the map file)")
    return found


def split_tags(text: str) -> list[str]:
    """Zendesk separates tags with spaces, ledgers with 、 or commas: all of them split."""
    return [tag for tag in _TAG_SPLIT.split(text) if tag]


def to_email(text: str) -> tuple[str, str | None]:
    """(address lower-cased, display name if the cell was 'Name <address>')."""
    name = None
    named = _NAMED_EMAIL.match(text)
    if named:
        text, name = named["email"].strip(), named["name"].strip().strip('"') or None
    if text[:7].lower() == "mailto:":
        text = text[7:]
    if not _EMAIL.match(text):
        reason = "holds more than one address" if text.count("@") > 1 else "is not an email address"
        raise CellError(f'"{text}" {reason}')
    return text.lower(), name


def looks_like_email(text: str) -> bool:
    return "@" in text and bool(_EMAIL.match(text))


@dataclass(frozen=True, slots=True)
class Comment:
    at: datetime | None
    author: str | None
    body: str


def to_comment(text: str, tz: ZoneInfo, dayfirst: bool, datemode_1904: bool) -> Comment:
    """Jira writes a comment cell as `date;author;body`; any other cell is just a body."""
    jira = _JIRA_COMMENT.match(text)
    if jira:
        try:
            at = parse_when(jira["at"], tz, dayfirst, datemode_1904)
        except CellError:
            pass
        else:
            body = jira["body"].strip()
            if body:
                return Comment(at, jira["author"].strip() or None, body)
    return Comment(None, None, text)
