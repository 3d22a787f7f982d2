"""Raw cells -> clean text. Spreadsheet text is untrusted: it is kept literally,
but control characters (terminal escapes included) never get through."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

# C0 and C1 controls except tab and newline; \r is folded into \n first.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# What Excel writes for a formula that failed; a CSV saved by Excel keeps the text.
EXCEL_ERRORS = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!",
     "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#GETTING_DATA", "#UNKNOWN!"}
)

# Leading characters that make a spreadsheet program run a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*\Z")


def clean_text(text: str) -> str:
    """Literal text without control characters, trimmed; Excel error codes become blank."""
    if not text.isprintable():
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", text)
    text = text.strip()
    if text[:1] == "#" and text in EXCEL_ERRORS:
        return ""
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]  # undo safe_cell, so a fixed rejects file re-imports as it was
    return text


def cell_text(value: object) -> str:
    """Any cell as the text a person would read in it ('' for an empty cell)."""
    if type(value) is str:
        return clean_text(value) if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))  # 13800138000.0 is a phone number, not a float
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return clean_text(str(value))


def is_blank(value: object) -> bool:
    if value is None or value == "":
        return True
    if type(value) is str:
        text = value.strip()
        return not text or text in EXCEL_ERRORS
    return False


def is_blank_row(cells: list) -> bool:
    # Most rows have data in their first cell, so this usually stops at once.
    for value in cells:
        if not is_blank(value):
            return False
    return True


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet program would run as a formula (prefix a ')."""
    if (
        type(value) is str
        and value.startswith(FORMULA_START)
        and not _PLAIN_NUMBER.match(value)  # -5 and +8613800138000 are harmless
    ):
        return "'" + value
    return value


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
