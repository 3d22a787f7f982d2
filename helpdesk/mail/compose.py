"""Outbound mail as bytes: the pure part of sending a reply or notification."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from helpdesk.errors import Invalid

from .text import one_line

# 7bit transfer: non-ASCII bodies go quoted-printable or base64, so any relay takes them.
_POLICY = policy.SMTP.clone(cte_type="7bit")
_MAX_REFERENCES = 20  # keep the root and the latest ones; long chains bloat every reply
_ID_JUNK = re.compile(r"[\s<>]")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def header_value(value: object) -> str:
    """One safe header line: CR/LF and other controls collapse to spaces, so a value
    can never start a header of its own."""
    return one_line(str(value or ""))


def build_message(
    *,
    from_addr: str,
    from_name: str,
    to_addr: str,
    to_name: str,
    subject: str,
    body: str,
    message_id_domain: str,
    in_reply_to: str | None = None,
    references: tuple[str, ...] | list[str] = (),
    auto_submitted: bool = False,
    loop_marker: str | None = None,
    date: datetime | None = None,
    more_to: tuple[str, ...] | list[str] = (),
) -> tuple[bytes, str]:
    """(RFC 5322 bytes, Message-ID without angle brackets). `date` should be the
    caller's clock; without it no Date header is written (the relay adds one).
    `more_to`: further addresses in To (a side conversation with several people)."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _address(from_name, from_addr, "from_addr")
    msg["To"] = [_address(to_name, to_addr, "to_addr")] + [_address("", a, "to_addr") for a in more_to]
    msg["Subject"] = header_value(subject)
    message_id = _new_message_id(message_id_domain)
    msg["Message-ID"] = f"<{message_id}>"
    if date is not None:
        if date.tzinfo is None:
            raise Invalid("must be timezone-aware", field="date")
        msg["Date"] = format_datetime(date)
    _thread_headers(msg, in_reply_to, references)
    if auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office back to us
    if loop_marker and header_value(loop_marker):
        msg["X-Loop"] = header_value(loop_marker)
    msg.set_content(_body_text(body), charset="utf-8")
    return msg.as_bytes(), message_id


def _address(name: str, addr: str, field: str) -> Address:
    addr = header_value(addr)
    local, _, domain = addr.rpartition("@")
    if not local.isascii():
        raise Invalid(f"{addr!r}: non-ASCII local parts are not supported", field=field)
    try:
        domain = domain.encode("idna").decode("ascii")  # 例子.中国 -> xn--...
    except UnicodeError:
        domain = ""
    if not _LOCAL_PART.match(local) or not _DOMAIN.match(domain):
        raise Invalid(f"{addr!r} is not an email address", field=field)
    return Address(display_name=header_value(name), username=local, domain=domain)


def _new_message_id(domain: str) -> str:
    domain = _ID_JUNK.sub("", header_value(domain)).strip("@.")
    if not domain:
        raise Invalid("a domain is needed for Message-IDs", field="message_id_domain")
    return f"{uuid.uuid4().hex}@{domain}"


def _clean_id(value: str) -> str:
    return _ID_JUNK.sub("", header_value(value))


def _thread_headers(msg: EmailMessage, in_reply_to: str | None, references) -> None:
    refs = list(dict.fromkeys(i for i in (_clean_id(r) for r in references) if i))
    parent = _clean_id(in_reply_to or "")
    if parent and parent not in refs:
        refs.append(parent)
    if len(refs) > _MAX_REFERENCES:
        refs = refs[:1] + refs[-(_MAX_REFERENCES - 1):]
    if parent:
        msg["In-Reply-To"] = f"<{parent}>"
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)


def _body_text(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return text if text.endswith("\n") else text + "\n"
