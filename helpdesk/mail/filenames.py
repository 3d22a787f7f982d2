"""Attachment file names that are safe to write to disk and to show."""

from __future__ import annotations

import re
import unicodedata

from .text import one_line, strip_controls

_MAX_BYTES = 200  # UTF-8 bytes; leaves room under the usual 255-byte limit for a prefix
_UNSAFE = re.compile(r'[<>:"|?*]')  # meaningful to Windows or to shells
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.I)


def safe_filename(name: str, index: int) -> str:
    """A file name with no directory part, no leading dots, no control characters,
    at most 200 UTF-8 bytes (extension kept); "attachment-<index>" when nothing is left."""
    name = unicodedata.normalize("NFC", one_line(strip_controls(name or "")))
    name = re.split(r"[/\\]", name)[-1]  # the last path component: "../../etc/passwd" -> "passwd"
    name = _UNSAFE.sub("_", name).strip(" .")
    name = name.lstrip(".").strip()
    if _WINDOWS_DEVICES.match(name):
        name = f"_{name}"
    name = _cap(name)
    return name or f"attachment-{index}"


def _cap(name: str) -> str:
    if len(name.encode("utf-8")) <= _MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext.encode("utf-8")) > 20:
        stem, ext = name, ""
    room = _MAX_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{stem}.{ext}" if ext else stem
