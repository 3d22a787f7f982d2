"""Outside text is untrusted: make it safe to show literally in a terminal."""

from __future__ import annotations

import re

# ESC-led sequences (CSI, OSC, ...) first, then any other C0/C1 control or DEL.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def storable(value: str) -> str:
    """Text every database takes as it is: NUL dropped (PostgreSQL refuses it), and a lone
    surrogate (undecodable bytes in a command-line argument, a JSON "\\ud800") shown as
    U+FFFD, which UTF-8 can encode."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii() and _SURROGATES.search(value):
        value = _SURROGATES.sub("\ufffd", value)
    return value


def storable_data(value):
    """`storable` through a JSON value (dicts, lists); the same object when nothing changes."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        clean = {storable_data(k): storable_data(v) for k, v in value.items()}
        return value if clean == value else clean
    if isinstance(value, list):
        clean = [storable_data(v) for v in value]
        return value if clean == value else clean
    return value


def literal(value: object, *, multiline: bool = False) -> str:
    """`value` as plain text with escape sequences and control characters removed.

    Single-line form (table cells, subjects) turns newlines and tabs into spaces."""
    if value is None:
        return ""
    text = _ESCAPES.sub("", str(value))
    text = _BIDI.sub("", text)
    if not text.isascii():  # a lone surrogate cannot be written to a UTF-8 terminal at all
        text = _SURROGATES.sub("\ufffd", text)
    if multiline:
        return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROLS_ONE_LINE.sub(" ", text)
