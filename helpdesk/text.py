"""Outside text is untrusted: make it safe to show literally in a terminal."""

from __future__ import annotations

import re

# ESC-led sequences (CSI, OSC, ...) first, then any other C0/C1 control or DEL.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def literal(value: object, *, multiline: bool = False) -> str:
    """`value` as plain text with escape sequences and control characters removed.

    Single-line form (table cells, subjects) turns newlines and tabs into spaces."""
    if value is None:
        return ""
    text = _ESCAPES.sub("", str(value))
    text = _BIDI.sub("", text)
    if multiline:
        return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROLS_ONE_LINE.sub(" ", text)
