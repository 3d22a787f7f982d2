"""The words of outgoing mail: English and Chinese defaults, overridable per desk in settings.

`mail.language` picks the defaults (en, zh); `mail.template.<name>` overrides a
body and `mail.template.<name>_subject` a subject. Placeholders use
string.Template: $ticket, $subject, $name, $desk, $body ($agent in `side`, the mail of a
side conversation to a third party). An unknown placeholder
is left as written, so a typo shows in the mail instead of losing it.
"""

from __future__ import annotations

from string import Template

from sqlmodel import Session

from helpdesk.services.core.settings import get_setting

NAMES = ("ack", "reply", "solved", "side", "portal_link", "web_ack", "survey")
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "ack": ("$subject", "Hello $name,\n\nThanks for writing to $desk. We have opened ticket #$ticket and "
                "will answer soon. To add anything, just reply to this mail.\n\n-- $desk"),
        "reply": ("$subject", "$body\n\n-- $desk (ticket #$ticket)"),
        "solved": ("$subject", "Hello $name,\n\nWe think ticket #$ticket is solved. If it is not, reply to this "
                   "mail and it opens again.\n\n-- $desk"),
        "side": ("$subject", "$body\n\n-- $agent, $desk (ticket #$ticket)"),
        # the customer portal (services/customers): $link is a signed link to the ticket's page
        "portal_link": ("Your request: $subject", "Hello $name,\n\nHere is the link to follow ticket #$ticket "
                        "and reply to it:\n\n$link\n\nIt works for $days days. If you did not ask for it, "
                        "ignore this mail.\n\n-- $desk"),
        "web_ack": ("$subject", "Hello $name,\n\nThanks for writing to $desk. We have opened ticket #$ticket "
                    "and will answer soon. Follow it and reply here:\n\n$link\n\n-- $desk"),
        "survey": ("How did we do? $subject", "Hello $name,\n\nHow was our help with ticket #$ticket?\n\n"
                   "Good: $good\nBad: $bad\n\nOr reply to this mail with just 1 (good) or 2 (bad).\n\n-- $desk"),
    },
    "zh": {
        "ack": ("$subject", "$name，您好：\n\n感谢您联系$desk。我们已创建工单 #$ticket，会尽快回复。"
                "如需补充信息，请直接回复此邮件。\n\n—— $desk"),
        "reply": ("$subject", "$body\n\n—— $desk（工单 #$ticket）"),
        "solved": ("$subject", "$name，您好：\n\n工单 #$ticket 已解决。如果问题仍未解决，请直接回复此邮件，"
                   "工单将重新打开。\n\n—— $desk"),
        "side": ("$subject", "$body\n\n—— $agent，$desk（工单 #$ticket）"),
        "portal_link": ("您的工单：$subject", "$name，您好：\n\n查看工单 #$ticket 的进度并回复，请打开：\n\n$link\n\n"
                        "链接 $days 天内有效。如果不是您本人申请，请忽略此邮件。\n\n—— $desk"),
        "web_ack": ("$subject", "$name，您好：\n\n感谢您联系$desk。我们已创建工单 #$ticket，会尽快回复。"
                    "查看进度和回复请打开：\n\n$link\n\n—— $desk"),
        "survey": ("服务评价：$subject", "$name，您好：\n\n您对工单 #$ticket 的处理满意吗？\n\n满意：$good\n"
                   "不满意：$bad\n\n也可以直接回复此邮件：1（满意）或 2（不满意）。\n\n—— $desk"),
    },
}


def setting(session: Session, key: str):
    """get_setting, remembered for the rest of this session: a batch of mail reads the
    same few settings thousands of times (a setting changed mid-transaction is not seen)."""
    cache = session.info.setdefault("helpdesk.mail.settings", {})
    if key not in cache:
        cache[key] = get_setting(session, key)
    return cache[key]


def language(session: Session) -> str:
    lang = str(setting(session, "mail.language") or "en").strip().lower()
    return "zh" if lang.startswith("zh") else "en"


def render(session: Session, name: str, values: dict[str, object]) -> tuple[str, str]:
    """(subject, body) of template `name` with values filled in."""
    default_subject, default_body = DEFAULTS[language(session)][name]
    subject = setting(session, f"mail.template.{name}_subject") or default_subject
    body = setting(session, f"mail.template.{name}") or default_body
    text = {k: str(v) for k, v in values.items()}
    return Template(str(subject)).safe_substitute(text), Template(str(body)).safe_substitute(text)
