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

NAMES = ("ack", "reply", "solved", "side")
DEFAULTS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "ack": ("$subject", "Hello $name,\n\nThanks for writing to $desk. We have opened ticket #$ticket and "
                "will answer soon. To add anything, just reply to this mail.\n\n-- $desk"),
        "reply": ("$subject", "$body\n\n-- $desk (ticket #$ticket)"),
        "solved": ("$subject", "Hello $name,\n\nWe think ticket #$ticket is solved. If it is not, reply to this "
                   "mail and it opens again.\n\n-- $desk"),
        "side": ("$subject", "$body\n\n-- $agent, $desk (ticket #$ticket)"),
    },
    "zh": {
        "ack": ("$subject", "$name，您好：\n\n感谢您联系$desk。我们已创建工单 #$ticket，会尽快回复。"
                "如需补充信息，请直接回复此邮件。\n\n—— $desk"),
        "reply": ("$subject", "$body\n\n—— $desk（工单 #$ticket）"),
        "solved": ("$subject", "$name，您好：\n\n工单 #$ticket 已解决。如果问题仍未解决，请直接回复此邮件，"
                   "工单将重新打开。\n\n—— $desk"),
        "side": ("$subject", "$body\n\n—— $agent，$desk（工单 #$ticket）"),
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
