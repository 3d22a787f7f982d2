"""The tags in a subject: "[#123]" for a ticket, as our replies carry it, and
"[#123-S4]" for side conversation 4 of ticket 123 (mail to a third party)."""

from __future__ import annotations

import re

# Half- and full-width brackets and hash, ASCII or full-width digits; at most 9 digits.
_TAG = re.compile(r"[\[［【]\s*[#＃]\s*([0-9０-９]{1,9})\s*[\]］】]")
_SIDE_TAG = re.compile(r"[\[［【]\s*[#＃]\s*([0-9０-９]{1,9})\s*[-－]\s*[SsＳｓ]\s*([0-9０-９]{1,9})\s*[\]］】]")


def ticket_tag(subject: str) -> int | None:
    """The ticket number of the first "[#123]" tag in a subject, else None."""
    match = _TAG.search(subject or "")
    return int(match.group(1)) if match else None


def tag_subject(subject: str, number: int) -> str:
    """The subject with our tag, added once: "[#123] subject"."""
    return subject if ticket_tag(subject) == number else f"[#{number}] {subject}".strip()


def side_tag(subject: str) -> tuple[int, int] | None:
    """(ticket, side conversation) of the first "[#123-S4]" tag in a subject, else None."""
    match = _SIDE_TAG.search(subject or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def tag_side_subject(subject: str, number: int, side: int) -> str:
    """The subject with the side conversation's tag, added once: "[#123-S4] subject"."""
    return subject if side_tag(subject) == (number, side) else f"[#{number}-S{side}] {subject}".strip()
