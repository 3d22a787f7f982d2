"""The ticket tag in a subject: "[#123]", as our replies carry it."""

from __future__ import annotations

import re

# Half- and full-width brackets and hash, ASCII or full-width digits; at most 9 digits.
_TAG = re.compile(r"[\[［【]\s*[#＃]\s*([0-9０-９]{1,9})\s*[\]］】]")


def ticket_tag(subject: str) -> int | None:
    """The ticket number of the first "[#123]" tag in a subject, else None."""
    match = _TAG.search(subject or "")
    return int(match.group(1)) if match else None


def tag_subject(subject: str, number: int) -> str:
    """The subject with our tag, added once: "[#123] subject"."""
    return subject if ticket_tag(subject) == number else f"[#{number}] {subject}".strip()
