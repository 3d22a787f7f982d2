"""The pure half of the email channel: reading inbound mail and composing outbound mail.

No database and no network here; services/mail does threading, storage and transport.
"""

from .compose import build_message
from .filenames import safe_filename
from .guards import should_not_autoreply
from .html_text import html_to_text
from .model import Attachment, BounceInfo, ParsedMail
from .parse import parse_message
from .quotes import collapse_quotes
from .tags import side_tag, tag_side_subject, tag_subject, ticket_tag

__all__ = [
    "Attachment",
    "BounceInfo",
    "ParsedMail",
    "build_message",
    "collapse_quotes",
    "html_to_text",
    "parse_message",
    "safe_filename",
    "should_not_autoreply",
    "side_tag",
    "tag_side_subject",
    "tag_subject",
    "ticket_tag",
]
