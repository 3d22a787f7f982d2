"""Header values: RFC 2047 encoded-words, raw 8-bit bytes, addresses, ids and dates."""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from datetime import datetime, timezone
from email.message import Message

from .charsets import decode_bytes
from .text import one_line

# Printable ASCII other than "?" and space, as RFC 2047 allows in charset and text.
_ENCODED_WORD = re.compile(r"=\?([!->@-~]*)\?([bBqQ])\?([!->@-~]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_MAX_ID = 998  # a header line's limit; longer ids are junk
# The stdlib's address parser slows down with a header's length (about 0.3 s per 100 KB,
# paid for each address header read): an address header is read up to this many
# characters, which holds several hundred addresses.
_MAX_ADDRESS_HEADER = 32_768


def all_headers(msg: Message, name: str) -> list[str]:
    """Every raw value of header `name`, as text (8-bit bytes decoded, unfolded)."""
    name = name.lower()
    return [raw_text(v) for k, v in msg.raw_items() if str(k).lower() == name]


def first_header(msg: Message, name: str) -> str | None:
    values = all_headers(msg, name)
    return values[0] if values else None


def raw_text(value: object) -> str:
    """A raw header value from the parser as text: 8-bit bytes decoded, folds removed."""
    if not isinstance(value, str):
        value = str(value)
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeError:
        text = value  # already text (no surrogates)
    else:
        text = raw.decode("ascii") if raw.isascii() else decode_bytes(raw, None).text
    return _FOLD.sub("", text)


def decode_words(value: str, problems: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded-words, wherever they sit (quoted names included).

    Adjacent words in the same charset are joined as bytes before decoding, because
    senders split multi-byte characters across words.
    """
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos:match.start()]
        charset = match.group(1).lower()
        # Whitespace between two encoded-words is not part of the text (RFC 2047 §6.2).
        joinable = pos > 0 and _BETWEEN_WORDS.fullmatch(gap) is not None
        if pending and not (joinable and charset == pending_charset):
            out.append(_decode_pending(pending, pending_charset, problems))
            pending = []
        if not joinable:
            out.append(gap)
        pending.append(_word_bytes(match.group(2), match.group(3)))
        pending_charset = charset
        pos = match.end()
    if pending:
        out.append(_decode_pending(pending, pending_charset, problems))
    out.append(value[pos:])
    return "".join(out)


def _decode_pending(chunks: list[bytes], charset: str, problems: list[str] | None) -> str:
    decoded = decode_bytes(b"".join(chunks), charset, what="header")
    if decoded.problem and problems is not None:
        problems.append(decoded.problem)
    return decoded.text


def _word_bytes(kind: str, payload: str) -> bytes:
    data = payload.encode("ascii", "surrogateescape")
    if kind in "qQ":
        return _QP_ESCAPE.sub(lambda m: bytes.fromhex(m.group(1).decode()), data.replace(b"_", b" "))
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return payload.encode("ascii", "replace")


def header_text(value: object, problems: list[str] | None = None) -> str:
    """A header value decoded for showing: encoded-words decoded, one safe line."""
    return one_line(decode_words(raw_text(value), problems))


def addresses(values: list[str], problems: list[str] | None = None) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs; names decoded after parsing, so an
    encoded comma or angle bracket in a name cannot split or forge an address."""
    result: list[tuple[str, str]] = []
    try:
        pairs = email.utils.getaddresses([raw_text(v)[:_MAX_ADDRESS_HEADER] for v in values])
    except Exception:
        pairs = []
    for name, addr in pairs:
        addr = one_line(addr).lower()
        if "@" not in addr or " " in addr:
            continue
        result.append((one_line(decode_words(name, problems)), addr))
    return result


def mailbox_local_part(values: list[str]) -> tuple[str, str]:
    """(local part, display name) of the first mailbox, even one without a domain
    such as a bare "MAILER-DAEMON"."""
    try:
        pairs = email.utils.getaddresses([raw_text(v)[:_MAX_ADDRESS_HEADER] for v in values])
    except Exception:
        return "", ""
    for name, addr in pairs:
        if addr or name:
            return addr.split("@", 1)[0].strip().lower(), one_line(decode_words(name))
    return "", ""


def message_ids(values: list[str]) -> list[str]:
    """Message-IDs without angle brackets, in order, each once."""
    found: dict[str, None] = {}
    for value in values:
        text = raw_text(value)
        ids = _MSG_ID.findall(text) or [t for t in text.split() if "@" in t]
        for msg_id in ids:
            msg_id = one_line(msg_id).strip("<>")
            if msg_id and len(msg_id) <= _MAX_ID:
                found.setdefault(msg_id)
    return list(found)


def parse_date(value: str | None) -> datetime | None:
    """A Date header as an aware UTC datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(raw_text(value).strip())
    except Exception:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": the sender did not know its zone; RFC 5322 says UTC
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
