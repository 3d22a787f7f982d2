"""Walking a MIME tree: which parts are the body, which are attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32

from .charsets import decode_bytes
from .filenames import safe_filename
from .headers import decode_words, first_header, raw_text
from .html_text import html_to_text
from .model import Attachment
from .text import clean_body, one_line

MAX_DEPTH = 40  # deeper nesting is an attack or a loop, not a message
MAX_ATTACHMENTS = 200
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_:.\-]{1,40})""", re.I)


@dataclass
class Contents:
    pieces: list[tuple[str, bool]] = field(default_factory=list)  # (text, came from HTML)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    max_attachment_bytes: int = 10 * 1024 * 1024
    dropped: int = 0  # attachments past MAX_ATTACHMENTS


def read_contents(msg: Message, max_attachment_bytes: int) -> Contents:
    contents = Contents(max_attachment_bytes=max_attachment_bytes)
    _walk(msg, 0, contents)
    if contents.dropped:
        contents.problems.append(f"{contents.dropped} attachments past the first {MAX_ATTACHMENTS} were dropped")
    return contents


def _walk(part: Message, depth: int, out: Contents) -> None:
    if depth > MAX_DEPTH:
        out.problems.append(f"MIME parts nested deeper than {MAX_DEPTH} levels were skipped")
        return
    ctype = part.get_content_type()
    if ctype.startswith("message/") or not part.is_multipart():
        _leaf(part, out)
    elif ctype == "multipart/alternative":
        _alternative(part, depth, out)
    else:
        for sub in subparts(part):
            _walk(sub, depth + 1, out)


def subparts(part: Message) -> list[Message]:
    """The child parts. get_payload() itself can raise on a str payload with a bad
    charset parameter, so only a list payload is asked for."""
    if not part.is_multipart():
        return []
    return [p for p in part.get_payload() if isinstance(p, Message)]


def _alternative(part: Message, depth: int, out: Contents) -> None:
    """Prefer text/plain; fall back to the richest other version. Files hidden in
    an unchosen version (Apple Mail does this) are still attachments."""
    subs = subparts(part)
    chosen = _choose_alternative(subs)
    for sub in subs:
        if sub is chosen:
            _walk(sub, depth + 1, out)
        else:
            _collect_files(sub, depth + 1, out)


def _choose_alternative(subs: list[Message]) -> Message | None:
    for sub in subs:
        if sub.get_content_type() == "text/plain" and not _is_attachment(sub):
            if _text_of(sub)[0].strip():
                return sub
    readable = [s for s in subs if s.get_content_type() == "text/html" or s.is_multipart()]
    return readable[-1] if readable else (subs[0] if subs else None)


def _collect_files(part: Message, depth: int, out: Contents) -> None:
    if depth > MAX_DEPTH:
        return
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        for sub in subparts(part):
            _collect_files(sub, depth + 1, out)
    elif part.get_content_maintype() != "text" and not first_header(part, "content-id"):
        _add_attachment(part, out)


def _leaf(part: Message, out: Contents) -> None:
    ctype = part.get_content_type()
    if ctype.startswith("multipart/"):  # a broken multipart: no boundary found
        out.problems.append("the MIME structure is broken; the body is shown as raw text")
        out.pieces.append((_text_of(part)[0], False))
    elif ctype in ("text/plain", "text/html") and not _is_attachment(part):
        text, problem = _text_of(part)
        if problem:
            out.problems.append(problem)
        if ctype == "text/html":
            out.pieces.append((html_to_text(text), True))
        else:
            out.pieces.append((text, False))
    else:
        _add_attachment(part, out)


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(_raw_filename(part))


def _text_of(part: Message) -> tuple[str, str | None]:
    data = payload_bytes(part)
    label = _charset(part)
    if not label and part.get_content_type() == "text/html":
        found = _META_CHARSET.search(data[:4096])
        label = found.group(1).decode("ascii") if found else None
    decoded = decode_bytes(data, label, what=f"part {part.get_content_type()}")
    return clean_body(decoded.text), decoded.problem


def _charset(part: Message) -> str | None:
    value = part.get_param("charset")
    if isinstance(value, tuple):  # RFC 2231 form
        value = value[2]
    return str(value) if value else None


def payload_bytes(part: Message) -> bytes:
    """The decoded payload (base64/quoted-printable undone); never raises."""
    if part.is_multipart():  # message/*: the enclosed message(s) as bytes
        return b"\n".join(_message_bytes(p) for p in subparts(part))
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = getattr(part, "_payload", None)  # what get_payload would have decoded
    return raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""


def _message_bytes(msg: Message) -> bytes:
    try:
        return msg.as_bytes(policy=compat32)
    except Exception:  # the generator refuses some damaged headers; write them as they came
        head = "\r\n".join(f"{name}: {value}" for name, value in msg.raw_items())
        return head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + payload_bytes(msg)


def _raw_filename(part: Message) -> str:
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = part.get_param(name, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, latin-1 text of the bytes)
            raw = value[2].encode("latin-1", "replace")
            return decode_bytes(raw, value[0] or None, what="file name").text
        if value:
            return decode_words(raw_text(value))
    return ""


def _add_attachment(part: Message, out: Contents) -> None:
    if len(out.attachments) >= MAX_ATTACHMENTS:
        out.dropped += 1
        return
    index = len(out.attachments) + 1
    ctype = part.get_content_type()
    raw_name = _raw_filename(part)
    filename = safe_filename(raw_name, index)
    if not raw_name and ctype.startswith("message/"):
        filename += ".eml"
    data = payload_bytes(part)
    too_large = len(data) > out.max_attachment_bytes
    if too_large:
        out.problems.append(
            f"attachment {filename!r} is {len(data)} bytes, over the {out.max_attachment_bytes}-byte limit"
        )
    content_id = one_line(first_header(part, "content-id") or "").strip("<>") or None
    out.attachments.append(Attachment(
        filename=filename,
        content_type=ctype,
        size=len(data),
        data=None if too_large else data,
        too_large=too_large,
        content_id=content_id,
        inline=(part.get_content_disposition() or "") == "inline",
    ))
