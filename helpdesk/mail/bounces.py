"""Recognising bounces: delivery reports (RFC 3464) and the plain ones old MTAs send."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from .headers import all_headers, first_header, header_text, message_ids, raw_text
from .model import BounceInfo
from .parts import MAX_DEPTH, payload_bytes, subparts
from .text import one_line

_DAEMONS = {"mailer-daemon", "mail-daemon", "postmaster", "mailerdaemon"}
_DAEMON_NAME = re.compile(r"mail delivery (system|subsystem)|mailer.daemon", re.I)
# Where plain bounces paste the original message.
_COPY_MARKERS = re.compile(
    r"^(?:-{2,} ?Below this line is a copy of the message\.?"
    r"|-{2,} This is a copy of the message, including all the headers\. -{2,}"
    r"|-{2,} ?(?:The )?Original message(?: follows)?\.? ?-{0,}"
    r"|-{2,} Returned message -{2,}"
    r"|-{2,} ?原始邮件(?:头)? ?-{0,})\s*$",
    re.I | re.M,
)
_QMAIL_RECIPIENT = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:\s*$", re.M)
_INDENTED_RECIPIENT = re.compile(r"^\s+<?([^<>\s@]+@[^<>\s]+?)>?:?\s*$", re.M)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_MAX_DIAGNOSTIC = 1000


def is_daemon(local_part: str, name: str) -> bool:
    return local_part in _DAEMONS or bool(_DAEMON_NAME.search(name))


def find_bounce(msg: Message, daemon_sender: bool, body_text: str) -> BounceInfo | None:
    """BounceInfo for a delivery report, or for a daemon's mail that carries the
    original message; None for anything else."""
    report = _find_part(msg, lambda p: p.get_content_type() in
                        ("message/delivery-status", "message/global-delivery-status"))
    if report is not None:
        info = _from_status(report)
        _fill_original(info, msg)
        return info
    if not daemon_sender:
        return None
    info = BounceInfo()
    if not _fill_original(info, msg) and not _fill_from_inline_copy(info, body_text):
        return None
    _fill_from_text(info, _before_copy(body_text))
    return info


def _find_part(msg: Message, wanted, depth: int = 0) -> Message | None:
    if depth > MAX_DEPTH:
        return None
    if wanted(msg):
        return msg
    if msg.get_content_type().startswith("message/"):
        return None  # never look inside the enclosed original: it is not the report
    for sub in subparts(msg):
        found = _find_part(sub, wanted, depth + 1)
        if found is not None:
            return found
    return None


def _status_blocks(part: Message) -> list[Message]:
    if part.is_multipart():
        return subparts(part)
    text = raw_text(payload_bytes(part).decode("ascii", "surrogateescape"))
    return [HeaderParser(policy=compat32).parsestr(b.strip() + "\n") for b in re.split(r"\n\s*\n", text) if b.strip()]


def _from_status(part: Message) -> BounceInfo:
    recipients = [b for b in _status_blocks(part) if first_header(b, "final-recipient")
                  or first_header(b, "original-recipient")]
    failed = [b for b in recipients if (first_header(b, "action") or "").strip().lower() == "failed"]
    block = (failed or recipients or [None])[0]
    if block is None:
        return BounceInfo()
    recipient = first_header(block, "final-recipient") or first_header(block, "original-recipient")
    return BounceInfo(
        recipient=_after_type(recipient).strip("<>").lower() or None,
        status=_status_code(first_header(block, "status")),
        diagnostic=_after_type(first_header(block, "diagnostic-code"))[:_MAX_DIAGNOSTIC] or None,
        action=one_line(first_header(block, "action") or "").lower() or None,
    )


def _status_code(value: str | None) -> str | None:
    """"5.1.1 (bad mailbox)" -> "5.1.1"; anything else as it came, shortened."""
    found = _STATUS.search(value or "")
    return found.group(1) if found else one_line(value or "")[:50] or None


def _after_type(value: str | None) -> str:
    """"rfc822; bob@example.com" -> "bob@example.com"."""
    return one_line((value or "").split(";", 1)[-1])


def _fill_original(info: BounceInfo, msg: Message) -> bool:
    """Read the original's Message-ID and Subject from an enclosed message or headers."""
    original = _find_part(msg, lambda p: p.get_content_type() in
                          ("message/rfc822", "message/global", "text/rfc822-headers",
                           "message/global-headers"))
    if original is None:
        return False
    if original.get_content_type().startswith("message/") and original.is_multipart():
        inner = subparts(original)
        headers = inner[0] if inner else None
    else:
        headers = _headers_from_text(_payload_text(original))
    return headers is not None and _take_headers(info, headers)


def _payload_text(part: Message) -> str:
    # surrogateescape keeps 8-bit header bytes for raw_text to decode properly
    return payload_bytes(part).decode("ascii", "surrogateescape")


def _headers_from_text(text: str) -> Message | None:
    text = text.lstrip("\r\n")
    return HeaderParser(policy=compat32).parsestr(text) if text else None


def _take_headers(info: BounceInfo, headers: Message) -> bool:
    ids = message_ids(all_headers(headers, "message-id"))
    subject = first_header(headers, "subject")
    info.original_message_id = ids[0] if ids else None
    info.original_subject = header_text(subject) if subject is not None else None
    return bool(ids or subject)


def _fill_from_inline_copy(info: BounceInfo, body: str) -> bool:
    match = _COPY_MARKERS.search(body)
    if match is None:
        return False
    headers = _headers_from_text(body[match.end():])
    return headers is not None and _take_headers(info, headers)


def _before_copy(body: str) -> str:
    match = _COPY_MARKERS.search(body)
    return body[: match.start()] if match else body


def _fill_from_text(info: BounceInfo, text: str) -> None:
    """Recipient, status and diagnostic from a human-readable bounce (qmail, exim)."""
    found = _QMAIL_RECIPIENT.search(text) or _INDENTED_RECIPIENT.search(text)
    if found is None:
        return
    info.recipient = found.group(1).lower()
    rest = text[found.end():].lstrip("\n").split("\n\n", 1)[0]
    info.diagnostic = one_line(rest)[:_MAX_DIAGNOSTIC] or None
    status = _STATUS.search(rest)
    info.status = status.group(1) if status else None
