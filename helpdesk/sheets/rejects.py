"""The rejects file: the rows that did not go in, with the same columns plus a reason,
so they can be fixed in a spreadsheet program and imported again."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path

from helpdesk.errors import Invalid
from helpdesk.sheets.cells import safe_cell

Rejected = tuple[list, str]  # (raw cells, reason)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses to write


def write_rejects(path: str | Path, headers: list[str], rejected: Iterable[Rejected]) -> int:
    """Write .xlsx, .tsv or .csv (UTF-8 with BOM, so Excel reads Chinese right) by the
    path's extension; returns the number of rows written. Streams: rows are not kept."""
    path = Path(path)
    reason_header = _reason_header(headers)
    width = len(headers)
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _write_xlsx(path, [*headers, reason_header], rejected, width)
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab", ".txt") else ","
        return _write_delimited(path, [*headers, reason_header], rejected, width, delimiter)
    except OSError as error:
        raise Invalid(f"{path}: cannot write the rejects file ({error.strerror})") from None


REASON = "rejected because"  # the added column; importing the fixed file again ignores it


def _reason_header(headers: list[str]) -> str:
    name = REASON
    while name in headers:
        name = f"import {name}"
    return name


def is_reason_header(header: str) -> bool:
    """The column this module adds (importing a rejects file must not keep it as a field)."""
    return re.fullmatch(rf"(?:import )*{REASON}", header.strip().casefold()) is not None


def _padded(cells: list, width: int) -> list:
    return list(cells) + [""] * (width - len(cells)) if len(cells) < width else list(cells)


def _write_delimited(path: Path, header: list, rejected: Iterable[Rejected], width: int,
                     delimiter: str) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow([safe_cell(h) for h in header])
        for cells, reason in rejected:
            writer.writerow([safe_cell(_as_text(c)) for c in _padded(cells, width)]
                            + [safe_cell(reason)])
            count += 1
    return count


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _write_xlsx(path: Path, header: list, rejected: Iterable[Rejected], width: int) -> int:
    from openpyxl import Workbook  # only when writing xlsx: it is slow to import

    book = Workbook(write_only=True)
    sheet = book.create_sheet("rejects")
    sheet.append([_xlsx_cell(h) for h in header])
    count = 0
    for cells, reason in rejected:
        sheet.append([_xlsx_cell(c) for c in _padded(cells, width)] + [_xlsx_cell(reason)])
        count += 1
    book.save(path)
    return count


def _xlsx_cell(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # xlsx has no zones; the raw cell was wall-clock
    if type(value) is str:
        value = _XML_ILLEGAL.sub("", value)  # xlsx XML cannot hold control characters
    return safe_cell(value)
