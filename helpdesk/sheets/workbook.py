"""Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through python-calamine.

calamine parses a whole sheet at once (fast, in Rust) and `iter_rows()` then turns
it into Python rows lazily, so only one row of Python objects exists at a time."""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as calamine

from helpdesk.errors import Invalid, NotFound

# (first row, first column, last row, last column), 0-based like calamine.
Merge = tuple[int, int, int, int]

_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


@dataclass
class RawSheet:
    """One sheet before its layout is known: every row, numbered as the sheet shows it."""

    name: str
    rows: Callable[[], Iterator[tuple[int, list]]]  # each call starts a fresh pass
    merges: list[Merge] = field(default_factory=list)
    datemode_1904: bool = False
    encoding: str | None = None  # text files only
    delimiter: str | None = None


def open_workbook(path: Path, sheet: str | None, by_content: bool) -> RawSheet:
    """by_content: the extension lies about the format, so let calamine sniff it."""
    key = _ahead_key(path, sheet, by_content)
    key_ahead, ahead = _AHEAD.pop(key[0], (None, None)) if key else (None, None)
    # (read ahead for another sheet or a changed file: dropped, parsed again)
    name, data = ahead.result() if key_ahead == key else _parse(path, sheet, by_content)
    start_col = (data.start or (0, 0))[1]
    merges = [(r0, c0 - start_col, r1, c1 - start_col)
              for (r0, c0), (r1, c1) in (data.merged_cell_ranges or [])]
    return RawSheet(name, lambda: _numbered(data), merges, _is_1904(path))


def read_ahead(path: Path, sheet: str | None, by_content: bool) -> None:
    """Start parsing the sheet on a thread of its own; `open_workbook` with the same
    arguments takes the result (or its error). calamine parses without the GIL, so a
    command's start-up (imports, opening the desk) runs meanwhile: a 100k-row sheet
    takes some 0.8 s to parse."""
    key = _ahead_key(path, sheet, by_content)
    if key is None or _AHEAD.get(key[0], (None,))[0] == key:
        return
    future: Future = Future()

    def parse() -> None:
        try:
            future.set_result(_parse(path, sheet, by_content))
        except BaseException as error:  # handed to whoever opens the sheet
            future.set_exception(error)

    _AHEAD[key[0]] = key, future
    threading.Thread(target=parse, name="helpdesk-sheet-reader", daemon=True).start()


_AHEAD: dict[str, tuple[tuple, Future]] = {}  # by the file's full path


def _ahead_key(path: Path, sheet: str | None, by_content: bool) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path.resolve()), sheet, by_content, stat.st_mtime_ns, stat.st_size


def _parse(path: Path, sheet: str | None, by_content: bool):
    """(sheet name, calamine's parsed sheet)."""
    try:
        if by_content:
            with path.open("rb") as stream:
                book = calamine.CalamineWorkbook.from_filelike(stream)
        else:
            book = calamine.CalamineWorkbook.from_path(str(path))
        with book:
            return _pick_sheet(book, path, sheet)
    except calamine.PasswordError:
        raise Invalid(f"{path.name}: the workbook is password-protected; remove the password "
                      "in Excel (File > Info > Protect Workbook) and save it again") from None
    except calamine.CalamineError as error:
        raise Invalid(f"{path.name}: damaged or not a real spreadsheet ({error})") from None


def _pick_sheet(book, path: Path, wanted: str | None):
    names = list(book.sheet_names)
    if wanted is not None:
        name = _match_sheet_name(names, wanted)
        if name is None:
            raise NotFound(f'{path.name}: no sheet named "{wanted}" (sheets: {", ".join(names)})')
        return name, book.get_sheet_by_name(name)
    visible = [m.name for m in book.sheets_metadata
               if m.visible == calamine.SheetVisibleEnum.Visible
               and m.typ == calamine.SheetTypeEnum.WorkSheet]
    for name in visible + [n for n in names if n not in visible]:
        data = book.get_sheet_by_name(name)
        if data.height:
            return name, data
    raise Invalid(f"{path.name}: the workbook is empty (no sheet has any cells)")


def _match_sheet_name(names: list[str], wanted: str) -> str | None:
    if wanted in names:
        return wanted
    folded = [n for n in names if n.casefold() == wanted.strip().casefold()]
    if folded:
        return folded[0]
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return names[int(wanted) - 1]  # --sheet 2 means the second sheet
    return None


def _numbered(data) -> Iterator[tuple[int, list]]:
    # calamine 0.9 pads iter_rows() with the empty rows above the data (row i is sheet
    # row i + 1) but starts columns at the first used one; tests pin both facts.
    for index, cells in enumerate(data.iter_rows()):
        yield index + 1, cells


def _is_1904(path: Path) -> bool:
    """Bare serial numbers need the workbook's date system; calamine keeps it to itself."""
    try:
        with zipfile.ZipFile(path) as archive, archive.open("xl/workbook.xml") as stream:
            head = stream.read(16384)
    except (OSError, KeyError, zipfile.BadZipFile):
        return False  # .xls/.ods/.xlsb: dates typed as dates are still right
    return bool(_DATE1904.search(head))
