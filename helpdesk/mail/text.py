"""Neutralising untrusted text from mail: control characters, bidi tricks, stray whitespace."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls and DEL; \t and \n are kept in bodies, nothing in one-line fields.
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Controls other than whitespace; whitespace controls become spaces instead.
_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Bidi overrides/isolates reorder what a reader sees (e.g. "invoice\u202efdp.exe").
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Invisible padding marketing mail uses as a preheader spacer.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u034f\u00ad]")
_SPACES = re.compile(r"\s+")


def one_line(value: str) -> str:
    """A header-like value made safe to show on one line: no controls, single spaces."""
    value = _BIDI.sub("", _LINE_CONTROLS.sub("", value))
    return _SPACES.sub(" ", value).strip()


def clean_body(text: str) -> str:
    """Body text with unified line ends and no control characters except tab and newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", _BODY_CONTROLS.sub("", text))
    return unicodedata.normalize("NFC", text)


def strip_controls(value: str) -> str:
    """Every control character removed, whitespace ones included."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", "", value)


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)
