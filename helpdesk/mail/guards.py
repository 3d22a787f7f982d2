"""Mail the helpdesk must never answer automatically: auto-replies, bulk, loops, robots."""

from __future__ import annotations

import re
from email.message import Message

from .headers import all_headers
from .model import ParsedMail

_BULK = {"bulk", "junk", "list"}
_LIST_HEADERS = ("list-id", "list-unsubscribe")
_ROBOT_LOCAL = re.compile(
    r"^(mailer-?daemon|mail-daemon|postmaster|owner-.+|.+-(request|owner|bounces?))$"
    r"|no[-_.]?reply|do[-_.]?not[-_.]?reply|^bounces?([-+=].*)?$"
)
_SUPPRESS = {"all", "autoreply", "oof"}


def header_flags(msg: Message, loop_marker: str | None) -> dict[str, bool]:
    """The loop-and-noise flags that come from headers alone."""
    auto = [v.split(";", 1)[0].strip().lower() for v in all_headers(msg, "auto-submitted")]
    precedence = {v.strip().lower() for v in all_headers(msg, "precedence")}
    suppress = {
        word.strip().lower()
        for value in all_headers(msg, "x-auto-response-suppress")
        for word in value.split(",")
    }
    return {
        "auto_submitted": any(v and v != "no" for v in auto)
        or bool(all_headers(msg, "x-autoreply") or all_headers(msg, "x-autorespond")),
        "suppress_autoreply": bool(suppress & _SUPPRESS),
        "is_bulk": bool(precedence & _BULK) or any(all_headers(msg, h) for h in _LIST_HEADERS),
        "loop": _is_loop(all_headers(msg, "x-loop"), loop_marker),
        "null_return_path": any(not v.strip(" \t<>") for v in all_headers(msg, "return-path")),
    }


def _is_loop(values: list[str], marker: str | None) -> bool:
    if not marker or not marker.strip():
        return False
    marker = marker.strip().lower()
    return any(v.strip().strip("<>").lower() == marker.strip("<>") for v in values)


def is_robot(local_part: str) -> bool:
    """Senders that are programs: mailer-daemon, postmaster, no-reply, list robots."""
    return bool(local_part) and bool(_ROBOT_LOCAL.search(local_part.lower()))


def should_not_autoreply(parsed: ParsedMail) -> str | None:
    """Why no automatic mail may answer this message, or None when one may."""
    checks = (
        (parsed.loop, "X-Loop shows the message came from this helpdesk"),
        (parsed.bounce is not None, "the message is a bounce"),
        (parsed.auto_submitted, "the message was sent automatically (Auto-Submitted)"),
        (parsed.is_bulk, "the message is bulk or list mail (Precedence/List-Id)"),
        (parsed.no_reply_sender, "the sender does not accept replies (mailer-daemon/no-reply)"),
        (parsed.null_return_path, "the message has an empty Return-Path"),
        (parsed.suppress_autoreply, "the sender asked for no automatic replies"),
        (not parsed.from_addr, "the message has no usable sender address"),
    )
    return next((reason for hit, reason in checks if hit), None)
