"""parse_message: raw RFC 5322 bytes in, a ParsedMail out; never raises on bad mail."""

from __future__ import annotations

import email
from email.message import Message
from email.policy import compat32

from . import bounces, guards
from .headers import (
    addresses,
    all_headers,
    first_header,
    header_text,
    mailbox_local_part,
    message_ids,
    parse_date,
)
from .model import ParsedMail
from .parts import MAX_DEPTH, read_contents, subparts
from .quotes import collapse_quotes
from .text import clean_body

_DEFECTS = {
    "CloseBoundaryNotFoundDefect": "the message is cut short (a MIME closing boundary is missing)",
    "StartBoundaryNotFoundDefect": "a MIME boundary was never found; parts may be missing",
    "NoBoundaryInMultipartDefect": "a multipart part has no boundary",
    "MultipartInvariantViolationDefect": "a multipart part has no boundary",
    "InvalidBase64PaddingDefect": "some base64 data is damaged",
    "InvalidBase64CharactersDefect": "some base64 data is damaged",
    "InvalidBase64LengthDefect": "some base64 data is damaged",
    "MissingHeaderBodySeparatorDefect": "a malformed header line was read as body text",
}


def parse_message(
    raw: bytes,
    *,
    max_attachment_bytes: int = 10 * 1024 * 1024,
    loop_marker: str | None = None,
) -> ParsedMail:
    """Parse one message as well as it can be read. Anything unreadable is listed in
    `problems` instead of raised. `loop_marker` is this helpdesk's X-Loop value."""
    parsed = ParsedMail()
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        parsed.problems.append(f"expected bytes, got {type(raw).__name__}")
        return parsed
    try:
        msg = email.message_from_bytes(bytes(raw), policy=compat32)
    except Exception as exc:  # the stdlib parser is lenient; this is the last guard
        parsed.problems.append(f"the message could not be parsed at all ({type(exc).__name__})")
        return parsed
    for step in (_read_headers, _read_flags):
        _guarded(step, parsed, msg, loop_marker)
    _guarded(_read_body, parsed, msg, max_attachment_bytes)
    _guarded(_read_bounce, parsed, msg)
    _guarded(_read_defects, parsed, msg)
    parsed.problems = list(dict.fromkeys(parsed.problems))
    return parsed


def _guarded(step, parsed: ParsedMail, *args) -> None:
    try:
        step(parsed, *args)
    except Exception as exc:  # one unreadable section must not lose the rest of the mail
        parsed.problems.append(f"could not read {step.__name__.removeprefix('_read_')} ({type(exc).__name__})")


def _read_headers(parsed: ParsedMail, msg: Message, _marker: str | None) -> None:
    problems = parsed.problems
    ids = message_ids(all_headers(msg, "message-id"))
    parsed.message_id = ids[0] if ids else None
    parsed.in_reply_to = message_ids(all_headers(msg, "in-reply-to"))
    parsed.references = message_ids(all_headers(msg, "references"))
    parsed.subject = header_text(first_header(msg, "subject") or "", problems)
    senders = addresses(all_headers(msg, "from"), problems)
    if senders:
        parsed.from_name, parsed.from_addr = senders[0]
    elif not all_headers(msg, "from"):
        problems.append("the message has no From header")
    else:
        problems.append("the From header holds no usable address")
    parsed.to = addresses(all_headers(msg, "to"), problems)
    parsed.cc = addresses(all_headers(msg, "cc"), problems)
    parsed.reply_to = addresses(all_headers(msg, "reply-to"), problems)
    date = first_header(msg, "date")
    parsed.date = parse_date(date)
    if date and parsed.date is None:
        problems.append("the Date header could not be read")


def _read_flags(parsed: ParsedMail, msg: Message, marker: str | None) -> None:
    for name, value in guards.header_flags(msg, marker).items():
        setattr(parsed, name, value)
    local, _name = mailbox_local_part(all_headers(msg, "from"))
    parsed.no_reply_sender = guards.is_robot(local)


def _read_body(parsed: ParsedMail, msg: Message, max_attachment_bytes: int) -> None:
    contents = read_contents(msg, max_attachment_bytes)
    parsed.problems.extend(contents.problems)
    parsed.attachments = contents.attachments
    pieces = [(text.strip("\n"), html) for text, html in contents.pieces if text.strip()]
    parsed.body_text = clean_body("\n\n".join(text for text, _html in pieces))
    parsed.html = any(html for _text, html in pieces)
    parsed.visible_text = collapse_quotes(parsed.body_text)


def _read_bounce(parsed: ParsedMail, msg: Message) -> None:
    local, name = mailbox_local_part(all_headers(msg, "from"))
    parsed.bounce = bounces.find_bounce(msg, bounces.is_daemon(local, name), parsed.body_text)


def _read_defects(parsed: ParsedMail, msg: Message) -> None:
    for part in _all_parts(msg):
        for defect in getattr(part, "defects", []):
            note = _DEFECTS.get(type(defect).__name__)
            if note:
                parsed.problems.append(note)


def _all_parts(msg: Message, depth: int = 0) -> list[Message]:
    found = [msg]
    if depth < MAX_DEPTH:
        for sub in subparts(msg):
            found.extend(_all_parts(sub, depth + 1))
    return found
