"""What the mail parser hands to the rest of the helpdesk: plain data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Attachment:
    filename: str  # safe to use as a file name: see safe_filename
    content_type: str  # lower-cased "type/subtype"
    size: int  # decoded size in bytes, also when the data was dropped
    data: bytes | None  # None when too_large
    too_large: bool = False
    content_id: str | None = None  # without angle brackets; what "cid:" links in HTML name
    inline: bool = False  # Content-Disposition: inline (e.g. a pasted screenshot)


@dataclass
class BounceInfo:
    """A delivery report about mail we sent; becomes a note on the ticket it came from."""

    original_message_id: str | None = None
    original_subject: str | None = None
    recipient: str | None = None  # the address that did not get the mail
    status: str | None = None  # enhanced status code such as "5.1.1"
    diagnostic: str | None = None  # the remote server's words
    action: str | None = None  # "failed", "delayed", ... (DSN only)


Address = tuple[str, str]  # (display name, lower-cased address)


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str | None = None
    from_name: str = ""
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None
    body_text: str = ""  # the whole decoded body, quoted history included
    visible_text: str = ""  # body_text with quoted history collapsed
    html: bool = False  # body_text was made from HTML
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False  # Auto-Submitted other than "no", or X-Autoreply/X-Autorespond
    suppress_autoreply: bool = False  # X-Auto-Response-Suppress asks for no auto replies
    is_bulk: bool = False  # Precedence bulk/junk/list, or a mailing list (List-Id/Unsubscribe)
    loop: bool = False  # X-Loop carries our own marker
    no_reply_sender: bool = False  # mailer-daemon, postmaster, no-reply and list robots
    null_return_path: bool = False  # Return-Path: <> (RFC 3834: never answer it)
    bounce: BounceInfo | None = None
    problems: list[str] = field(default_factory=list)  # what could not be read, for a note

    @property
    def reply_address(self) -> str | None:
        """Where a reply goes: the first Reply-To address, else the sender."""
        return self.reply_to[0][1] if self.reply_to else self.from_addr
